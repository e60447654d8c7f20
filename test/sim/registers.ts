/** A block of device registers reached through a BAR or an MMIO window. Offsets are relative. */
export type AccessWidth = 1 | 2 | 4 | 8;

export interface RegisterBlock {
  read(offset: number, width: AccessWidth): number;
  write(offset: number, width: AccessWidth, value: number): void;
}

export function widthMask(width: AccessWidth): number {
  return width === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * width) - 1;
}
