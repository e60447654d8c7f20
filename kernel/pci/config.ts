import type { PortIo } from "../platform";
import type { PciAddress } from "./address";
import { PciError } from "./errors";
import {
  PCI_BUS_COUNT,
  PCI_CONFIG_ADDRESS_PORT,
  PCI_CONFIG_DATA_PORT,
  PCI_CONFIG_ENABLE,
  PCI_CONFIG_SPACE_SIZE,
  PCI_DEVICES_PER_BUS,
  PCI_FUNCTIONS_PER_DEVICE,
} from "./registers";

/** Configuration-space access for one function at a time. */
export interface PciConfigAccess {
  read8(address: PciAddress, offset: number): number;
  read16(address: PciAddress, offset: number): number;
  read32(address: PciAddress, offset: number): number;
  write8(address: PciAddress, offset: number, value: number): void;
  write16(address: PciAddress, offset: number, value: number): void;
  write32(address: PciAddress, offset: number, value: number): void;
}

/** Configuration mechanism #1: an address dword at 0xCF8, data at 0xCFC..0xCFF. */
export class PortPciConfig implements PciConfigAccess {
  constructor(private readonly ports: PortIo) {}

  read8(address: PciAddress, offset: number): number {
    return this.ports.read8(this.select(address, offset, 1));
  }
  read16(address: PciAddress, offset: number): number {
    return this.ports.read16(this.select(address, offset, 2));
  }
  read32(address: PciAddress, offset: number): number {
    return this.ports.read32(this.select(address, offset, 4)) >>> 0;
  }
  write8(address: PciAddress, offset: number, value: number): void {
    this.ports.write8(this.select(address, offset, 1), value);
  }
  write16(address: PciAddress, offset: number, value: number): void {
    this.ports.write16(this.select(address, offset, 2), value);
  }
  write32(address: PciAddress, offset: number, value: number): void {
    this.ports.write32(this.select(address, offset, 4), value >>> 0);
  }

  /** Latches the dword address and returns the data port for the access. */
  private select(address: PciAddress, offset: number, width: number): number {
    checkAddress(address);
    if (!Number.isInteger(offset) || offset < 0 || offset + width > PCI_CONFIG_SPACE_SIZE || offset % width !== 0) {
      throw new PciError(`bad ${width}-byte config offset 0x${offset.toString(16)}`);
    }
    const dword =
      (PCI_CONFIG_ENABLE | (address.bus << 16) | (address.device << 11) | (address.fn << 8) | (offset & 0xfc)) >>> 0;
    this.ports.write32(PCI_CONFIG_ADDRESS_PORT, dword);
    return PCI_CONFIG_DATA_PORT + (offset & 3);
  }
}

function checkAddress(address: PciAddress): void {
  if (
    !inRange(address.bus, PCI_BUS_COUNT) ||
    !inRange(address.device, PCI_DEVICES_PER_BUS) ||
    !inRange(address.fn, PCI_FUNCTIONS_PER_DEVICE)
  ) {
    throw new PciError(`bad PCI address ${address.bus}:${address.device}.${address.fn}`);
  }
}

function inRange(value: number, limit: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < limit;
}
