/**
 * The ChaCha20 block function (RFC 8439 section 2.3) as a keystream generator: a 256-bit key,
 * a 96-bit nonce and a 32-bit block counter. Used as a fast generator seeded from real entropy;
 * it never waits for a device.
 */
const BLOCK_WORDS = 16;
export const CHACHA20_KEY_BYTES = 32;
export const CHACHA20_NONCE_BYTES = 12;
export const CHACHA20_BLOCK_BYTES = 64;
/** "expand 32-byte k" as four little-endian words. */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const;
const KEY_WORD = 4;
const COUNTER_WORD = 12;
const NONCE_WORD = 13;
const DOUBLE_ROUNDS = 10;

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function quarterRound(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  x[a] += x[b];
  x[d] = rotl(x[d] ^ x[a], 16);
  x[c] += x[d];
  x[b] = rotl(x[b] ^ x[c], 12);
  x[a] += x[b];
  x[d] = rotl(x[d] ^ x[a], 8);
  x[c] += x[d];
  x[b] = rotl(x[b] ^ x[c], 7);
}

export class ChaCha20 {
  private readonly state = new Uint32Array(BLOCK_WORDS);
  private readonly working = new Uint32Array(BLOCK_WORDS);
  private readonly block = new Uint8Array(CHACHA20_BLOCK_BYTES);
  private readonly blockView = new DataView(this.block.buffer);
  private used = CHACHA20_BLOCK_BYTES;

  constructor(key: Uint8Array, nonce: Uint8Array, counter = 0) {
    if (key.length !== CHACHA20_KEY_BYTES || nonce.length !== CHACHA20_NONCE_BYTES) throw new RangeError("ChaCha20 needs a 32-byte key and a 12-byte nonce");
    const keyView = new DataView(key.buffer, key.byteOffset, key.byteLength);
    const nonceView = new DataView(nonce.buffer, nonce.byteOffset, nonce.byteLength);
    this.state.set(SIGMA);
    for (let i = 0; i < 8; i++) this.state[KEY_WORD + i] = keyView.getUint32(4 * i, true);
    this.state[COUNTER_WORD] = counter;
    for (let i = 0; i < 3; i++) this.state[NONCE_WORD + i] = nonceView.getUint32(4 * i, true);
  }

  /** Fills `out` with the next keystream bytes. */
  fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i++) {
      if (this.used === CHACHA20_BLOCK_BYTES) this.nextBlock();
      out[i] = this.block[this.used++];
    }
  }

  private nextBlock(): void {
    const x = this.working;
    x.set(this.state);
    for (let round = 0; round < DOUBLE_ROUNDS; round++) {
      quarterRound(x, 0, 4, 8, 12);
      quarterRound(x, 1, 5, 9, 13);
      quarterRound(x, 2, 6, 10, 14);
      quarterRound(x, 3, 7, 11, 15);
      quarterRound(x, 0, 5, 10, 15);
      quarterRound(x, 1, 6, 11, 12);
      quarterRound(x, 2, 7, 8, 13);
      quarterRound(x, 3, 4, 9, 14);
    }
    for (let i = 0; i < BLOCK_WORDS; i++) this.blockView.setUint32(4 * i, (x[i] + this.state[i]) >>> 0, true);
    this.state[COUNTER_WORD]++;
    this.used = 0;
  }
}
