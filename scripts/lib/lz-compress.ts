// Compresses the app's bytecode for the kernel image. boot/js/lz-decode.c reads it back at boot.
//
// The container is an 8-byte header, the magic "VLZ1" and the decoded length (u32, little-endian),
// then sequences in the manner of LZ4's block format: a token byte whose high nibble counts literal
// bytes and low nibble counts match bytes beyond the minimum of 4 (15 in either means more follow,
// as bytes added until one is below 255), the literals, then the match's distance back (u16,
// little-endian, 1 to 65535). The last sequence has literals only: the input ends after them.
// An LZ77 coder with no entropy stage decodes at close to copying speed, which keeps boot time.

export const LZ_MAGIC = "VLZ1";
export const LZ_HEADER_BYTES = 8;
const MIN_MATCH = 4;
const MAX_DISTANCE = 0xffff;
const NIBBLE_MAX = 15;
const HASH_BITS = 16;
/** Candidates tried per position: more finds longer matches at a build-time cost only. */
const MAX_CHAIN = 256;

function hashAt(data: Uint8Array, at: number): number {
  const word = (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
  return Math.imul(word, 2654435761) >>> (32 - HASH_BITS);
}

class Output {
  private bytes = new Uint8Array(1024);
  length = 0;

  push(byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  }

  /** The bytes past a nibble's 15, as the format spells a long count. */
  pushCountRest(rest: number): void {
    for (; rest >= 255; rest -= 255) this.push(255);
    this.push(rest);
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Finds the longest earlier match for `at` within the distance limit, through the hash chains. */
class MatchFinder {
  private readonly head = new Int32Array(1 << HASH_BITS).fill(-1);
  private readonly previous: Int32Array;
  private inserted = 0;
  length = 0;
  distance = 0;

  constructor(private readonly data: Uint8Array) {
    this.previous = new Int32Array(data.length);
  }

  /** Enters every position before `end` into the chains. */
  insertUpTo(end: number): void {
    const last = this.data.length - MIN_MATCH;
    for (; this.inserted < end; this.inserted++) {
      if (this.inserted > last) continue;
      const hash = hashAt(this.data, this.inserted);
      this.previous[this.inserted] = this.head[hash];
      this.head[hash] = this.inserted;
    }
  }

  /** Sets `length` and `distance` for the best match at `at` (length 0 when none reaches the minimum). */
  find(at: number): void {
    const data = this.data;
    this.length = 0;
    if (at + MIN_MATCH > data.length) return;
    this.insertUpTo(at);
    const limit = data.length - at;
    let candidate = this.head[hashAt(data, at)];
    for (let tries = 0; candidate >= 0 && at - candidate <= MAX_DISTANCE && tries < MAX_CHAIN; tries++) {
      if (data[candidate + this.length] === data[at + this.length]) {
        let length = 0;
        while (length < limit && data[candidate + length] === data[at + length]) length++;
        if (length > this.length) {
          this.length = length;
          this.distance = at - candidate;
          if (length === limit) break;
        }
      }
      candidate = this.previous[candidate];
    }
    if (this.length < MIN_MATCH) this.length = 0;
  }
}

function writeSequence(out: Output, data: Uint8Array, literalStart: number, literalEnd: number, matchLength: number, distance: number): void {
  const literals = literalEnd - literalStart;
  const extra = matchLength - MIN_MATCH;
  out.push((Math.min(literals, NIBBLE_MAX) << 4) | (matchLength === 0 ? 0 : Math.min(extra, NIBBLE_MAX)));
  if (literals >= NIBBLE_MAX) out.pushCountRest(literals - NIBBLE_MAX);
  for (let i = literalStart; i < literalEnd; i++) out.push(data[i]);
  if (matchLength === 0) return;
  out.push(distance & 0xff);
  out.push(distance >>> 8);
  if (extra >= NIBBLE_MAX) out.pushCountRest(extra - NIBBLE_MAX);
}

export function lzCompress(data: Uint8Array): Uint8Array {
  if (data.length > 0xffffffff) throw new RangeError("lzCompress: input above 4 GiB");
  const out = new Output();
  for (const char of LZ_MAGIC) out.push(char.charCodeAt(0));
  for (let shift = 0; shift < 32; shift += 8) out.push((data.length >>> shift) & 0xff);
  const finder = new MatchFinder(data);
  let literalStart = 0;
  let at = 0;
  while (at < data.length) {
    finder.find(at);
    let length = finder.length;
    let distance = finder.distance;
    if (length === 0) {
      at++;
      continue;
    }
    // Lazy matching: a longer match one byte on is worth a literal.
    finder.find(at + 1);
    if (finder.length > length + 1) {
      at++;
      length = finder.length;
      distance = finder.distance;
    }
    writeSequence(out, data, literalStart, at, length, distance);
    at += length;
    literalStart = at;
  }
  writeSequence(out, data, literalStart, data.length, 0, 0);
  return out.result();
}
