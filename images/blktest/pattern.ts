/**
 * The fill pattern the host verifies: every 512-byte sector holds its own sector number (le32)
 * and the seed (le32), then bytes that depend on the seed and the position.
 */
export const PATTERN_SECTOR_BYTES = 512;
const LBA_OFFSET = 0;
const SEED_OFFSET = 4;
export const PATTERN_HEADER_BYTES = 8;

export function patternByte(seed: number, index: number): number {
  return (index * 13 + seed * 101 + (index >> 8)) & 0xff;
}

/** Writes the pattern of sectors `firstSector`.. into `buffer` (its length a multiple of 512). */
export function stampPattern(buffer: Uint8Array, firstSector: number, seed: number, templateReady: boolean): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  for (let at = 0, sector = firstSector; at < buffer.length; at += PATTERN_SECTOR_BYTES, sector++) {
    if (!templateReady) for (let i = PATTERN_HEADER_BYTES; i < PATTERN_SECTOR_BYTES; i++) buffer[at + i] = patternByte(seed, i);
    view.setUint32(at + LBA_OFFSET, sector >>> 0, true);
    view.setUint32(at + SEED_OFFSET, seed >>> 0, true);
  }
}
