/**
 * On-disk layout of the key-value store (version 2).
 *
 * Blocks 0 and 1 hold two copies of the superblock: every commit writes slot 0, then slot 1. Each
 * carries its commit number and a CRC, and the store opens from the valid slot with the highest
 * commit number, so one bad or torn slot loses nothing. A superblock names the log's
 * start and end as virtual block offsets: the log lives in the blocks from FIRST_RECORD_LBA to the
 * end of the disk, used as a ring, and offset o is block FIRST_RECORD_LBA + o % logBlocks. Only
 * records between start and end exist; a record may wrap from the last block to the first.
 *
 * Records start on a block boundary:
 *   header (32 bytes): magic, crc32 (of everything after the crc field), sequence, flags,
 *                      key length, value length, reserved x2
 *   key bytes (UTF-8), value bytes, zero padding to the block size.
 *
 * 64-bit values (commit numbers, offsets) are stored as low and high 32-bit halves and must be
 * safe integers.
 */
export const SUPERBLOCK_SLOTS = [0, 1] as const;
export const FIRST_RECORD_LBA = 2;
export const SUPERBLOCK_MAGIC = 0x4b56_5256; // "VRVK" little-endian
export const LAYOUT_VERSION = 2;
export const RECORD_MAGIC = 0x4443_4552; // "RECD" little-endian

export const Superblock = {
  Magic: 0,
  Version: 4,
  CommitLow: 8,
  CommitHigh: 12,
  StartLow: 16,
  StartHigh: 20,
  EndLow: 24,
  EndHigh: 28,
  Sequence: 32,
  LogBlocks: 36,
  Crc: 40,
  Size: 44,
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
