/**
 * Registers as data: every register of a block (common config, legacy header, mmio, a device's
 * config space) is one entry with its specification name, offset, width and access. Accessors
 * take the entry, so the width travels with the field and no call site picks one; the types
 * refuse a write to a read-only register or a read of a write-only one.
 */

export type RegisterWidth = 1 | 2 | 4 | 8;
export type RegisterAccess = "ro" | "rw" | "wo";

export interface Register<W extends RegisterWidth = RegisterWidth, A extends RegisterAccess = RegisterAccess> {
  /** The field's name as the specification spells it. */
  readonly name: string;
  /** Bytes from the start of the block. */
  readonly offset: number;
  /** Bytes (of one element, for an array field). */
  readonly width: W;
  /** As the specification defines it for the driver. */
  readonly access: A;
  /** Elements of an array field such as net's `mac[6]`; absent for a single value. */
  readonly count?: number;
}

export type Readable<W extends RegisterWidth = RegisterWidth> = Register<W, "ro" | "rw">;
export type Writable<W extends RegisterWidth = RegisterWidth> = Register<W, "rw" | "wo">;

/** A register block: its entries keyed by their specification names. */
export type RegisterTable = Readonly<Record<string, Register>>;

/** One table entry; `as const` tables of these are the register blocks. */
export function register<const W extends RegisterWidth, const A extends RegisterAccess>(
  name: string,
  offset: number,
  width: W,
  access: A,
): Register<W, A> {
  return { name, offset, width, access };
}

/** An array field: `count` elements of `width` bytes each. */
export function registerArray<const W extends RegisterWidth, const A extends RegisterAccess>(
  name: string,
  offset: number,
  width: W,
  count: number,
  access: A,
): Register<W, A> {
  return { name, offset, width, access, count };
}

/** One past the entry's last byte. */
export function registerEnd(reg: Register): number {
  return reg.offset + reg.width * (reg.count ?? 1);
}

/** Bytes from the start of the block to the end of its last entry. */
export function blockLength(table: RegisterTable): number {
  let end = 0;
  for (const reg of Object.values(table)) end = Math.max(end, registerEnd(reg));
  return end;
}

/** What an entry is read through: a register window, or one capability in PCI config space. */
export interface RegisterReadPort {
  read8(offset: number): number;
  read16(offset: number): number;
  read32(offset: number): number;
}

export interface RegisterWritePort {
  write8(offset: number, value: number): void;
  write16(offset: number, value: number): void;
  write32(offset: number, value: number): void;
}

const HALF_BITS = 32;
const TWO_POW_32 = 2 ** HALF_BITS;
const HALF_WIDTH = 4;

/** Offset of element `index` (0 for a single value). */
function elementOffset(reg: Register, index: number): number {
  if (index === 0) return reg.offset;
  if (!(Number.isInteger(index) && index > 0 && index < (reg.count ?? 1))) {
    throw new RangeError(`${reg.name}[${index}]: the field has ${reg.count ?? 1} element(s)`);
  }
  return reg.offset + index * reg.width;
}

/** Reads a 1-, 2- or 4-byte register (element `index` of an array field) with exactly its width. */
export function readRegister(port: RegisterReadPort, reg: Readable<1 | 2 | 4>, index = 0): number {
  const offset = elementOffset(reg, index);
  switch (reg.width) {
    case 1:
      return port.read8(offset);
    case 2:
      return port.read16(offset);
    default:
      return port.read32(offset);
  }
}

/** Writes a 1-, 2- or 4-byte register (element `index` of an array field) with exactly its width. */
export function writeRegister(port: RegisterWritePort, reg: Writable<1 | 2 | 4>, value: number, index = 0): void {
  const offset = elementOffset(reg, index);
  switch (reg.width) {
    case 1:
      port.write8(offset, value);
      return;
    case 2:
      port.write16(offset, value);
      return;
    default:
      port.write32(offset, value);
  }
}

/** An 8-byte field as two 32-bit reads, low half first: the access width virtio PCI requires. */
export function readRegister64(port: RegisterReadPort, reg: Readable<8>): bigint {
  const low = port.read32(reg.offset);
  const high = port.read32(reg.offset + HALF_WIDTH);
  return (BigInt(high) << BigInt(HALF_BITS)) | BigInt(low);
}

/** Writes a safe integer (a physical address) to an 8-byte field as two 32-bit writes, low half first. */
export function writeRegister64(port: RegisterWritePort, reg: Writable<8>, value: number): void {
  port.write32(reg.offset, lowHalf(value));
  port.write32(reg.offset + HALF_WIDTH, highHalf(value));
}

/** Bits 0..31 of a non-negative safe integer. */
export function lowHalf(value: number): number {
  return value >>> 0;
}

/** Bits 32..52 of a non-negative safe integer. */
export function highHalf(value: number): number {
  return Math.floor(value / TWO_POW_32);
}
