/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed hash
 * with a 128-bit key and a 64-bit result, built for authenticating short messages. JavaScript
 * has no 64-bit integers that are cheap to use, so every 64-bit word of the state is kept as a
 * high and a low 32-bit half. Hashing allocates nothing.
 */

export const SIPHASH_KEY_BYTES = 16;
const BLOCK_BYTES = 8;
const COMPRESSION_ROUNDS = 2;
const FINALIZATION_ROUNDS = 4;
/** The last block carries the message length (mod 256) in its top byte. */
const LENGTH_SHIFT = 24;
const FINALIZATION_XOR = 0xff;

/** The initial state: the key xored with "somepseudorandomlygeneratedbytes", as 64-bit words. */
const INIT_V0_HIGH = 0x736f6d65;
const INIT_V0_LOW = 0x70736575;
const INIT_V1_HIGH = 0x646f7261;
const INIT_V1_LOW = 0x6e646f6d;
const INIT_V2_HIGH = 0x6c796765;
const INIT_V2_LOW = 0x6e657261;
const INIT_V3_HIGH = 0x74656462;
const INIT_V3_LOW = 0x79746573;

/** A SipHash-2-4 instance for one key; `high` and `low` hold the last result. */
export class SipHash24 {
  /** The key as two little-endian 64-bit words k0, k1. */
  private readonly k0High: number;
  private readonly k0Low: number;
  private readonly k1High: number;
  private readonly k1Low: number;
  private v0h = 0;
  private v0l = 0;
  private v1h = 0;
  private v1l = 0;
  private v2h = 0;
  private v2l = 0;
  private v3h = 0;
  private v3l = 0;
  /** Upper 32 bits of the last result. */
  high = 0;
  /** Lower 32 bits of the last result. */
  low = 0;

  constructor(key: Uint8Array) {
    if (key.length !== SIPHASH_KEY_BYTES) throw new RangeError(`SipHash key must be ${SIPHASH_KEY_BYTES} bytes`);
    this.k0Low = readLe32(key, 0);
    this.k0High = readLe32(key, 4);
    this.k1Low = readLe32(key, 8);
    this.k1High = readLe32(key, 12);
  }

  /** Hashes the first `length` bytes of `message` into `high` and `low`. */
  hash(message: Uint8Array, length = message.length): void {
    this.v0h = (this.k0High ^ INIT_V0_HIGH) >>> 0;
    this.v0l = (this.k0Low ^ INIT_V0_LOW) >>> 0;
    this.v1h = (this.k1High ^ INIT_V1_HIGH) >>> 0;
    this.v1l = (this.k1Low ^ INIT_V1_LOW) >>> 0;
    this.v2h = (this.k0High ^ INIT_V2_HIGH) >>> 0;
    this.v2l = (this.k0Low ^ INIT_V2_LOW) >>> 0;
    this.v3h = (this.k1High ^ INIT_V3_HIGH) >>> 0;
    this.v3l = (this.k1Low ^ INIT_V3_LOW) >>> 0;
    const whole = length - (length % BLOCK_BYTES);
    for (let offset = 0; offset < whole; offset += BLOCK_BYTES) {
      this.compress(readLe32(message, offset + 4), readLe32(message, offset));
    }
    // The last block: the remaining bytes, little-endian, under the length byte.
    let lastHigh = (length & 0xff) << LENGTH_SHIFT;
    let lastLow = 0;
    for (let i = whole; i < length; i++) {
      const shift = 8 * ((i - whole) % 4);
      if (i - whole < 4) lastLow |= message[i] << shift;
      else lastHigh |= message[i] << shift;
    }
    this.compress(lastHigh >>> 0, lastLow >>> 0);
    this.v2l = (this.v2l ^ FINALIZATION_XOR) >>> 0;
    for (let i = 0; i < FINALIZATION_ROUNDS; i++) this.round();
    this.high = (this.v0h ^ this.v1h ^ this.v2h ^ this.v3h) >>> 0;
    this.low = (this.v0l ^ this.v1l ^ this.v2l ^ this.v3l) >>> 0;
  }

  private compress(mHigh: number, mLow: number): void {
    this.v3h = (this.v3h ^ mHigh) >>> 0;
    this.v3l = (this.v3l ^ mLow) >>> 0;
    for (let i = 0; i < COMPRESSION_ROUNDS; i++) this.round();
    this.v0h = (this.v0h ^ mHigh) >>> 0;
    this.v0l = (this.v0l ^ mLow) >>> 0;
  }

  /** One SipRound: add, rotate, xor on the four words (rotations by 32 swap the halves). */
  private round(): void {
    let { v0h, v0l, v1h, v1l, v2h, v2l, v3h, v3l } = this;
    let t: number;
    // v0 += v1; v1 <<<= 13; v1 ^= v0; v0 <<<= 32
    t = (v0l + v1l) >>> 0;
    v0h = (v0h + v1h + (t < v0l ? 1 : 0)) >>> 0;
    v0l = t;
    t = ((v1h << 13) | (v1l >>> 19)) >>> 0;
    v1l = ((v1l << 13) | (v1h >>> 19)) >>> 0;
    v1h = t;
    v1h = (v1h ^ v0h) >>> 0;
    v1l = (v1l ^ v0l) >>> 0;
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3; v3 <<<= 16; v3 ^= v2
    t = (v2l + v3l) >>> 0;
    v2h = (v2h + v3h + (t < v2l ? 1 : 0)) >>> 0;
    v2l = t;
    t = ((v3h << 16) | (v3l >>> 16)) >>> 0;
    v3l = ((v3l << 16) | (v3h >>> 16)) >>> 0;
    v3h = t;
    v3h = (v3h ^ v2h) >>> 0;
    v3l = (v3l ^ v2l) >>> 0;
    // v0 += v3; v3 <<<= 21; v3 ^= v0
    t = (v0l + v3l) >>> 0;
    v0h = (v0h + v3h + (t < v0l ? 1 : 0)) >>> 0;
    v0l = t;
    t = ((v3h << 21) | (v3l >>> 11)) >>> 0;
    v3l = ((v3l << 21) | (v3h >>> 11)) >>> 0;
    v3h = t;
    v3h = (v3h ^ v0h) >>> 0;
    v3l = (v3l ^ v0l) >>> 0;
    // v2 += v1; v1 <<<= 17; v1 ^= v2; v2 <<<= 32
    t = (v2l + v1l) >>> 0;
    v2h = (v2h + v1h + (t < v2l ? 1 : 0)) >>> 0;
    v2l = t;
    t = ((v1h << 17) | (v1l >>> 15)) >>> 0;
    v1l = ((v1l << 17) | (v1h >>> 15)) >>> 0;
    v1h = t;
    v1h = (v1h ^ v2h) >>> 0;
    v1l = (v1l ^ v2l) >>> 0;
    t = v2h;
    v2h = v2l;
    v2l = t;
    this.v0h = v0h;
    this.v0l = v0l;
    this.v1h = v1h;
    this.v1l = v1l;
    this.v2h = v2h;
    this.v2l = v2l;
    this.v3h = v3h;
    this.v3l = v3l;
  }
}

function readLe32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}
