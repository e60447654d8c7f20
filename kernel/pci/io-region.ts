import type { Mmio, Platform, PortIo } from "../platform";
import { isBarAssigned } from "./bar";
import { enablePciCommand } from "./command";
import type { PciConfigAccess } from "./config";
import type { PciFunction } from "./device";
import { formatPciAddress } from "./address";
import { IoRegionError } from "./errors";
import { PciCommand } from "./registers";

export type IoSpace = "io" | "mem";

/**
 * A bounds-checked window onto device registers in port or memory space. Every access has
 * exactly the width its name says; offsets are relative to the window.
 */
export interface IoRegion {
  readonly space: IoSpace;
  /** First port or physical address of the window. */
  readonly base: number;
  readonly length: number;
  read8(offset: number): number;
  read16(offset: number): number;
  read32(offset: number): number;
  /** Memory space only: port I/O has no 64-bit accesses. */
  read64(offset: number): bigint;
  write8(offset: number, value: number): void;
  write16(offset: number, value: number): void;
  write32(offset: number, value: number): void;
  write64(offset: number, value: bigint): void;
  /** A narrower region; must lie inside this one. */
  window(offset: number, length: number): IoRegion;
}

abstract class BoundedRegion {
  constructor(
    readonly base: number,
    readonly length: number,
  ) {}

  protected check(offset: number, width: number): number {
    if (!(offset >= 0 && offset + width <= this.length) || offset !== Math.floor(offset)) {
      throw new IoRegionError(`${width}-byte access at offset ${offset} outside a ${this.length}-byte region`);
    }
    return this.base + offset;
  }

  protected checkWindow(offset: number, length: number): number {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.length)) {
      throw new IoRegionError(`window [${offset}, +${length}) outside a ${this.length}-byte region`);
    }
    return this.base + offset;
  }
}

export class MemoryRegion extends BoundedRegion implements IoRegion {
  readonly space = "mem";
  constructor(
    private readonly mmio: Mmio,
    base: number,
    length: number,
  ) {
    super(base, length);
  }
  read8(offset: number): number {
    return this.mmio.read8(this.check(offset, 1));
  }
  read16(offset: number): number {
    return this.mmio.read16(this.check(offset, 2));
  }
  read32(offset: number): number {
    return this.mmio.read32(this.check(offset, 4)) >>> 0;
  }
  read64(offset: number): bigint {
    return this.mmio.read64(this.check(offset, 8));
  }
  write8(offset: number, value: number): void {
    this.mmio.write8(this.check(offset, 1), value);
  }
  write16(offset: number, value: number): void {
    this.mmio.write16(this.check(offset, 2), value);
  }
  write32(offset: number, value: number): void {
    this.mmio.write32(this.check(offset, 4), value);
  }
  write64(offset: number, value: bigint): void {
    this.mmio.write64(this.check(offset, 8), value);
  }
  window(offset: number, length: number): IoRegion {
    return new MemoryRegion(this.mmio, this.checkWindow(offset, length), length);
  }
}

export class PortRegion extends BoundedRegion implements IoRegion {
  readonly space = "io";
  constructor(
    private readonly ports: PortIo,
    base: number,
    length: number,
  ) {
    super(base, length);
  }
  read8(offset: number): number {
    return this.ports.read8(this.check(offset, 1));
  }
  read16(offset: number): number {
    return this.ports.read16(this.check(offset, 2));
  }
  read32(offset: number): number {
    return this.ports.read32(this.check(offset, 4)) >>> 0;
  }
  read64(): bigint {
    throw new IoRegionError("64-bit access to an I/O port region");
  }
  write8(offset: number, value: number): void {
    this.ports.write8(this.check(offset, 1), value);
  }
  write16(offset: number, value: number): void {
    this.ports.write16(this.check(offset, 2), value);
  }
  write32(offset: number, value: number): void {
    this.ports.write32(this.check(offset, 4), value);
  }
  write64(): void {
    throw new IoRegionError("64-bit access to an I/O port region");
  }
  window(offset: number, length: number): IoRegion {
    return new PortRegion(this.ports, this.checkWindow(offset, length), length);
  }
}

/**
 * The region behind BAR `index`: turns on the matching decode bit in the command register and,
 * for memory BARs, maps the range uncached first.
 */
export function openBar(platform: Platform, config: PciConfigAccess, fn: PciFunction, index: number): IoRegion {
  const bar = fn.bars[index];
  if (bar === undefined || !isBarAssigned(bar)) {
    throw new IoRegionError(`${formatPciAddress(fn.address)}: BAR${index} is not implemented or not assigned`);
  }
  if (bar.kind === "io") {
    enablePciCommand(config, fn.address, PciCommand.IoSpace);
    return new PortRegion(platform.ports, bar.base, bar.size);
  }
  platform.mapPhysical(bar.base, bar.size, true);
  enablePciCommand(config, fn.address, PciCommand.MemorySpace);
  return new MemoryRegion(platform.mmio, bar.base, bar.size);
}
