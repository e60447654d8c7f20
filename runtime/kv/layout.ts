/**
 * On-disk layout of the key-value store. Block 0 is the superblock: it names where the log ends,
 * and only records before that point exist. Records follow from block 1, each starting on a
 * block boundary:
 *   header (32 bytes): magic, crc32 (of everything after the crc field), sequence, flags,
 *                      key length, value length, reserved x2
 *   key bytes (UTF-8), value bytes, zero padding to the block size.
 */
export const SUPERBLOCK_LBA = 0;
export const FIRST_RECORD_LBA = 1;
export const SUPERBLOCK_MAGIC = 0x4b56_5256; // "VRVK" little-endian
export const LAYOUT_VERSION = 1;
export const RECORD_MAGIC = 0x4443_4552; // "RECD" little-endian

export const Superblock = {
  Magic: 0,
  Version: 4,
  LogEnd: 8,
  Sequence: 12,
  Crc: 16,
  Size: 20,
} as const;

export const Record = {
  Magic: 0,
  Crc: 4,
  Sequence: 8,
  Flags: 12,
  KeyLength: 16,
  ValueLength: 20,
  HeaderSize: 32,
} as const;

export const RECORD_TOMBSTONE = 1;
export const MAX_KEY_BYTES = 256;
export const MAX_VALUE_BYTES = 16 * 1024 * 1024;

export function blocksFor(bytes: number, blockSize: number): number {
  return Math.ceil(bytes / blockSize);
}
