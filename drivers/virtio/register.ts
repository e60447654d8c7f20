/**
 * Registers as data: every register of a block (common config, legacy header, mmio, a device's
 * config space) is one entry with its specification name, offset, width and access. Accessors
 * take the entry, so the width travels with the field and no call site picks one; the types
 * refuse a write to a read-only register or a read of a write-only one.
 */
import type { IoRegion } from "../../kernel/pci/io-region";

export type RegisterWidth = 1 | 2 | 4 | 8;
export type RegisterAccess = "ro" | "rw" | "wo";

export interface Register<W extends RegisterWidth = RegisterWidth, A extends RegisterAccess = RegisterAccess> {
  /** The field's name as the specification spells it. */
  readonly name: string;
  /** Bytes from the start of the block. */
  readonly offset: number;
  /** Bytes. */
  readonly width: W;
  readonly access: A;
}

export type Readable<W extends RegisterWidth = RegisterWidth> = Register<W, "ro" | "rw">;
export type Writable<W extends RegisterWidth = RegisterWidth> = Register<W, "rw" | "wo">;

/** One table entry; `as const` tables of these are the register blocks. */
export function register<const W extends RegisterWidth, const A extends RegisterAccess>(
  name: string,
  offset: number,
  width: W,
  access: A,
): Register<W, A> {
  return { name, offset, width, access };
}

/** Reads a 1-, 2- or 4-byte register with exactly its width. */
export function readRegister(region: IoRegion, reg: Readable<1 | 2 | 4>): number {
  switch (reg.width) {
    case 1:
      return region.read8(reg.offset);
    case 2:
      return region.read16(reg.offset);
    default:
      return region.read32(reg.offset);
  }
}

/** Writes a 1-, 2- or 4-byte register with exactly its width. */
export function writeRegister(region: IoRegion, reg: Writable<1 | 2 | 4>, value: number): void {
  switch (reg.width) {
    case 1:
      region.write8(reg.offset, value);
      return;
    case 2:
      region.write16(reg.offset, value);
      return;
    default:
      region.write32(reg.offset, value);
  }
}
