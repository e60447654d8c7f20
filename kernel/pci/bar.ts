import type { PciAddress } from "./address";
import type { PciConfigAccess } from "./config";
import {
  PCI_BAR_ALL_ONES,
  PCI_BAR_IO,
  PCI_BAR_IO_BASE_MASK,
  PCI_BAR_MEM_BASE_MASK,
  PCI_BAR_MEM_PREFETCHABLE,
  PCI_BAR_MEM_TYPE_64,
  PCI_BAR_MEM_TYPE_MASK,
  PCI_BAR_WIDTH,
  PciCommand,
  PciReg,
} from "./registers";

export type PciBarKind = "io" | "mem32" | "mem64";

export interface PciBar {
  readonly index: number;
  readonly kind: PciBarKind;
  readonly prefetchable: boolean;
  /** Physical address (memory) or port (I/O); 0 when firmware left it unassigned. */
  readonly base: number;
  readonly size: number;
}

/** Implemented and given an address by firmware: only these may be used. */
export function isBarAssigned(bar: PciBar): boolean {
  return bar.base !== 0 && bar.size !== 0;
}

const TWO_POW_32 = 0x1_0000_0000;
const IO_PORT_LIMIT = 0x1_0000;

/**
 * Decodes and sizes the first `count` BARs. Decoding is off while sizing so the all-ones
 * probe value never claims addresses, and every register is restored afterwards.
 * The result is indexed by BAR number; unimplemented BARs and the upper halves of 64-bit
 * BARs are undefined.
 */
export function readBars(config: PciConfigAccess, address: PciAddress, count: number): (PciBar | undefined)[] {
  const bars: (PciBar | undefined)[] = new Array(count).fill(undefined);
  const command = config.read16(address, PciReg.Command);
  config.write16(address, PciReg.Command, command & ~(PciCommand.IoSpace | PciCommand.MemorySpace));
  try {
    for (let index = 0; index < count; index++) {
      const bar = sizeBar(config, address, index, count);
      if (bar === undefined) continue;
      if (bar.size !== 0) bars[index] = bar;
      if (bar.kind === "mem64") index++;
    }
  } finally {
    config.write16(address, PciReg.Command, command);
  }
  return bars;
}

function probeMask(config: PciConfigAccess, address: PciAddress, offset: number): { raw: number; mask: number } {
  const raw = config.read32(address, offset);
  config.write32(address, offset, PCI_BAR_ALL_ONES);
  const mask = config.read32(address, offset);
  config.write32(address, offset, raw);
  return { raw, mask };
}

function sizeBar(config: PciConfigAccess, address: PciAddress, index: number, count: number): PciBar | undefined {
  const offset = PciReg.Bar0 + index * PCI_BAR_WIDTH;
  const { raw, mask } = probeMask(config, address, offset);
  if (mask === 0) return undefined;
  if (raw & PCI_BAR_IO) {
    const size = (~(mask & PCI_BAR_IO_BASE_MASK) + 1) & (IO_PORT_LIMIT - 1);
    return { index, kind: "io", prefetchable: false, base: raw & PCI_BAR_IO_BASE_MASK & (IO_PORT_LIMIT - 1), size };
  }
  const prefetchable = (raw & PCI_BAR_MEM_PREFETCHABLE) !== 0;
  if ((raw & PCI_BAR_MEM_TYPE_MASK) === PCI_BAR_MEM_TYPE_64 && index + 1 < count) {
    const high = probeMask(config, address, offset + PCI_BAR_WIDTH);
    const mask64 = (BigInt(high.mask) << 32n) | BigInt((mask & PCI_BAR_MEM_BASE_MASK) >>> 0);
    const size = Number((~mask64 & 0xffff_ffff_ffff_ffffn) + 1n);
    const base = high.raw * TWO_POW_32 + ((raw & PCI_BAR_MEM_BASE_MASK) >>> 0);
    return { index, kind: "mem64", prefetchable, base, size };
  }
  const size = (~(mask & PCI_BAR_MEM_BASE_MASK) + 1) >>> 0;
  return { index, kind: "mem32", prefetchable, base: (raw & PCI_BAR_MEM_BASE_MASK) >>> 0, size };
}
