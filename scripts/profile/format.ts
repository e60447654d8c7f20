// Decodes the profile the guest writes to its isa-debugcon port (boot/core/profiler.c): a header,
// the sample records, the function table, a trailer. All numbers are little-endian.
//   header:   "VIREOPRF", u32 version, u32 hz, u32 samples, u32 dropped, u32 sample bytes, u32 functions,
//             u64 nanoseconds the recording lasted, u64 nanoseconds spent taking samples
//   sample:   u8 frames shared with the previous sample (outermost first), u8 new frames,
//             u64 interrupted instruction pointer, new frames x (u16 function, u32 bundle line)
//   function: u16 index, u32 bundle line where it begins, u8 name length, name (ASCII)
//   trailer:  "VPRFDONE"

export const HEADER_MAGIC = "VIREOPRF";
export const TRAILER_MAGIC = "VPRFDONE";
export const FORMAT_VERSION = 1;
/** The function index of a frame whose function did not fit the guest's table. */
export const UNKNOWN_FUNCTION = 0xffff;

export interface JsFrame {
  readonly function: number;
  /** Line in the bundle (app.js), 1-based; 0 when unknown. */
  readonly line: number;
}

export interface RawSample {
  readonly rip: bigint;
  /** Outermost first. */
  readonly frames: readonly JsFrame[];
}

export interface RawFunction {
  readonly name: string;
  readonly line: number;
}

export interface RawProfile {
  /** The rate asked for; a host that falls behind delivers fewer ticks (see elapsedNs). */
  readonly hz: number;
  /** Guest time from the start of the recording to its end. */
  readonly elapsedNs: number;
  /** Guest time the sampling NMI took: what profiling cost the app. */
  readonly samplingNs: number;
  readonly samples: readonly RawSample[];
  /** Samples the full buffer could not take. */
  readonly dropped: number;
  readonly functions: ReadonlyMap<number, RawFunction>;
}

export class ProfileFormatError extends Error {
  override name = "ProfileFormatError";
}

/** The bytes stop before the profile's end: the guest has not finished writing it. */
export class ProfileIncompleteError extends ProfileFormatError {
  override name = "ProfileIncompleteError";
}

class Reader {
  private at: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.at = start;
  }

  get offset(): number {
    return this.at;
  }

  private take(count: number): number {
    if (this.at + count > this.bytes.length) throw new ProfileIncompleteError(`the profile ends early (at byte ${this.at}, ${count} more wanted)`);
    const start = this.at;
    this.at += count;
    return start;
  }

  u8(): number {
    return this.bytes[this.take(1)];
  }

  u16(): number {
    const at = this.take(2);
    return this.bytes[at] | (this.bytes[at + 1] << 8);
  }

  u32(): number {
    const at = this.take(4);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, 4).getUint32(0, true);
  }

  u64(): bigint {
    const at = this.take(8);
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, 8).getBigUint64(0, true);
  }

  ascii(length: number): string {
    const at = this.take(length);
    return String.fromCharCode(...this.bytes.subarray(at, at + length));
  }
}

function findMagic(bytes: Uint8Array, magic: string): number {
  const pattern = Uint8Array.from(magic, (c) => c.charCodeAt(0));
  for (let i = 0; i + pattern.length <= bytes.length; i++) {
    let j = 0;
    while (j < pattern.length && bytes[i + j] === pattern[j]) j++;
    if (j === pattern.length) return i;
  }
  return -1;
}

/** Whether `bytes` holds a whole profile (the guest has finished writing it; it may still be malformed). */
export function isComplete(bytes: Uint8Array): boolean {
  try {
    decodeProfile(bytes);
    return true;
  } catch (error) {
    if (error instanceof ProfileIncompleteError) return false;
    if (error instanceof ProfileFormatError) return true;
    throw error;
  }
}

function readSamples(reader: Reader, count: number, byteLength: number): RawSample[] {
  const end = reader.offset + byteLength;
  const samples: RawSample[] = [];
  let previous: readonly JsFrame[] = [];
  for (let i = 0; i < count; i++) {
    const shared = reader.u8();
    const added = reader.u8();
    const rip = reader.u64();
    if (shared > previous.length) throw new ProfileFormatError(`sample ${i} shares ${shared} frames with a sample of ${previous.length}`);
    const frames = previous.slice(0, shared);
    for (let f = 0; f < added; f++) frames.push({ function: reader.u16(), line: reader.u32() });
    samples.push({ rip, frames });
    previous = frames;
  }
  if (reader.offset !== end) throw new ProfileFormatError(`the samples took ${reader.offset - (end - byteLength)} bytes, the header says ${byteLength}`);
  return samples;
}

/** Decodes the profile in `bytes` (anything before its header is skipped). */
export function decodeProfile(bytes: Uint8Array): RawProfile {
  const start = findMagic(bytes, HEADER_MAGIC);
  if (start < 0) throw new ProfileIncompleteError("no profile (the guest wrote nothing, or was stopped before the end)");
  const reader = new Reader(bytes, start + HEADER_MAGIC.length);
  const version = reader.u32();
  if (version !== FORMAT_VERSION) throw new ProfileFormatError(`profile format ${version}; this decoder reads ${FORMAT_VERSION}`);
  const hz = reader.u32();
  const sampleCount = reader.u32();
  const dropped = reader.u32();
  const sampleBytes = reader.u32();
  const functionCount = reader.u32();
  const elapsedNs = Number(reader.u64());
  const samplingNs = Number(reader.u64());
  const samples = readSamples(reader, sampleCount, sampleBytes);
  const functions = new Map<number, RawFunction>();
  for (let i = 0; i < functionCount; i++) {
    const index = reader.u16();
    const line = reader.u32();
    functions.set(index, { line, name: reader.ascii(reader.u8()) });
  }
  if (reader.ascii(TRAILER_MAGIC.length) !== TRAILER_MAGIC) throw new ProfileFormatError("the profile does not end with its trailer");
  return { hz, elapsedNs, samplingNs, samples, dropped, functions };
}
