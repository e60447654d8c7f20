/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven. */
import { nativeByteLoops } from "../../kernel/byte-loops";

const POLYNOMIAL = 0xedb88320;
const TABLE_SIZE = 256;
/** Built on first use: in the guest the kernel's loop serves every call. */
let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(TABLE_SIZE);
  for (let n = 0; n < TABLE_SIZE; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const native = nativeByteLoops;

/** Continues `crc` (start with 0) over `bytes`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  return native !== undefined ? native.crc32(bytes, 0, bytes.length, crc) : crc32Portable(bytes, crc);
}

/** `crc32` in TypeScript, for hosts without the kernel's native loop. */
export function crc32Portable(bytes: Uint8Array, crc = 0): number {
  const lookup = crcTable();
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = lookup[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
