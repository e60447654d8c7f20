import { nativeByteLoops } from "../../kernel/byte-loops";
import { read16 } from "./bytes";

/**
 * The Internet checksum (RFC 1071). Sums are kept unfolded while accumulating; a number holds
 * far more than the 2^16 words of a maximum-size datagram without losing carries.
 */

const native = nativeByteLoops;

/** Adds bytes[offset, offset + length) as big-endian 16-bit words; an odd last byte is zero-padded. */
export function sumBytes(bytes: Uint8Array, offset: number, length: number, sum = 0): number {
  return native !== undefined ? native.sum16(bytes, offset, length, sum) : sumBytesPortable(bytes, offset, length, sum);
}

/** `sumBytes` in TypeScript, for hosts without the kernel's native loop. */
export function sumBytesPortable(bytes: Uint8Array, offset: number, length: number, sum = 0): number {
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) sum += read16(bytes, i);
  if (i < end) sum += bytes[i] << 8;
  return sum;
}

/** Copies from[fromOffset, +length) to to[toOffset] and returns `sum` plus the copied bytes' word sum. */
export function copyAndSum(from: Uint8Array, fromOffset: number, to: Uint8Array, toOffset: number, length: number, sum = 0): number {
  if (native !== undefined) return native.copySum16(from, fromOffset, to, toOffset, length, sum);
  to.set(from.subarray(fromOffset, fromOffset + length), toOffset);
  return sumBytesPortable(to, toOffset, length, sum);
}

/** The same sum with its bytes swapped: the sum of bytes that start at an odd offset of a region. */
export function swapSum(sum: number): number {
  const folded = foldSum(sum);
  return ((folded & 0xff) << 8) | (folded >>> 8);
}

/** Adds a 32-bit value (an address) as two 16-bit words. */
export function sumUint32(value: number, sum = 0): number {
  return sum + (value >>> 16) + (value & 0xffff);
}

export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The value to store in a checksum field. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

export function internetChecksum(bytes: Uint8Array, offset: number, length: number): number {
  return finishChecksum(sumBytes(bytes, offset, length));
}

/** True when a region that includes its checksum field sums to all ones. */
export function checksumValid(bytes: Uint8Array, offset: number, length: number, initialSum = 0): boolean {
  return foldSum(sumBytes(bytes, offset, length, initialSum)) === 0xffff;
}

/** The IPv4 pseudo-header of UDP and TCP (RFC 768, RFC 793), unfolded. */
export function pseudoHeaderSum(source: number, destination: number, protocol: number, length: number): number {
  return sumUint32(source, sumUint32(destination)) + protocol + length;
}
