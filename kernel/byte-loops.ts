/**
 * The kernel's native byte loops (checksum word sum, CRC-32) on the real machine, where the JS
 * engine is slow at per-byte work; undefined elsewhere (under Node), where callers use their
 * portable TypeScript versions.
 */
export interface ByteLoops {
  sum16(bytes: Uint8Array, offset: number, length: number, sum: number): number;
  crc32(bytes: Uint8Array, offset: number, length: number, crc: number): number;
  /** Copies `length` bytes and returns `sum` plus the word sum of what was copied. */
  copySum16(from: Uint8Array, fromOffset: number, to: Uint8Array, toOffset: number, length: number, sum: number): number;
}

export const nativeByteLoops: ByteLoops | undefined =
  typeof vireoNative === "undefined"
    ? undefined
    : { sum16: vireoNative.sum16, crc32: vireoNative.crc32, copySum16: vireoNative.copySum16 };
