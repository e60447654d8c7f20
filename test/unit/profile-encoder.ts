// Builds profiles in the guest's format (boot/core/profiler.c) for the decoder's tests.
import { FORMAT_VERSION, HEADER_MAGIC, TRAILER_MAGIC, type JsFrame } from "../../scripts/profile/format";

export interface EncodedSample {
  rip: bigint;
  /** Outermost first. */
  frames: JsFrame[];
}

export interface EncodeOptions {
  hz?: number;
  dropped?: number;
  elapsedNs?: number;
  samplingNs?: number;
  functions?: Map<number, { name: string; line: number }>;
  /** Bytes before the header (what else reached the port). */
  preamble?: number[];
  /** Leave the trailer off (a profile cut short). */
  withoutTrailer?: boolean;
}

const u = (value: number | bigint, bytes: number): number[] => {
  const out: number[] = [];
  let v = BigInt(value);
  for (let i = 0; i < bytes; i++, v >>= 8n) out.push(Number(v & 0xffn));
  return out;
};
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** Encodes as the guest does: each sample keeps the outermost frames it shares with the one before. */
export function encodeProfile(samples: EncodedSample[], options: EncodeOptions = {}): Uint8Array {
  const body: number[] = [];
  let previous: JsFrame[] = [];
  for (const sample of samples) {
    let shared = 0;
    while (shared < sample.frames.length && shared < previous.length && previous[shared].function === sample.frames[shared].function && previous[shared].line === sample.frames[shared].line) shared++;
    body.push(shared, sample.frames.length - shared, ...u(sample.rip, 8));
    for (const frame of sample.frames.slice(shared)) body.push(...u(frame.function, 2), ...u(frame.line, 4));
    previous = sample.frames;
  }
  const functions = options.functions ?? new Map();
  const table: number[] = [];
  for (const [index, f] of functions) table.push(...u(index, 2), ...u(f.line, 4), f.name.length, ...ascii(f.name));
  return Uint8Array.from([
    ...(options.preamble ?? []),
    ...ascii(HEADER_MAGIC),
    ...u(FORMAT_VERSION, 4),
    ...u(options.hz ?? 1000, 4),
    ...u(samples.length, 4),
    ...u(options.dropped ?? 0, 4),
    ...u(body.length, 4),
    ...u(functions.size, 4),
    ...u(options.elapsedNs ?? 0, 8),
    ...u(options.samplingNs ?? 0, 8),
    ...body,
    ...table,
    ...(options.withoutTrailer ? [] : ascii(TRAILER_MAGIC)),
  ]);
}
