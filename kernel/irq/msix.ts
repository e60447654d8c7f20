/** A PCI function's MSI-X table: message address/data per entry, masks, function enable. */
import type { PciConfigAccess } from "../pci/config";
import type { PciFunction } from "../pci/device";
import { openBar, type IoRegion } from "../pci/io-region";
import { MSIX_ENABLE, MSIX_FUNCTION_MASK, MsixReg } from "../pci/registers";
import type { Platform } from "../platform";

const ENTRY_BYTES = 16;
const ENTRY_ADDRESS_LOW = 0;
const ENTRY_ADDRESS_HIGH = 4;
const ENTRY_DATA = 8;
const ENTRY_CONTROL = 12;
const ENTRY_MASKED = 1;
/** x86 MSI: the local APIC's message window, destination APIC ID in bits 19:12. */
const MSI_ADDRESS_BASE = 0xfee0_0000;
const MSI_DESTINATION_SHIFT = 12;

export class MsixTable {
  private constructor(
    private readonly config: PciConfigAccess,
    private readonly fn: PciFunction,
    private readonly capabilityOffset: number,
    private readonly table: IoRegion,
    readonly size: number,
  ) {}

  /** The function's table, all entries masked; undefined when it has no usable MSI-X. */
  static open(platform: Platform, config: PciConfigAccess, fn: PciFunction): MsixTable | undefined {
    const msix = fn.msix;
    if (msix === undefined || msix.tableSize === 0) return undefined;
    const table = openBar(platform, config, fn, msix.tableBar).window(msix.tableOffset, msix.tableSize * ENTRY_BYTES);
    const result = new MsixTable(config, fn, msix.capabilityOffset, table, msix.tableSize);
    for (let i = 0; i < msix.tableSize; i++) result.setMasked(i, true);
    return result;
  }

  /** Points entry `index` at `vector` on the CPU with local APIC ID `destination`, unmasked. */
  setEntry(index: number, vector: number, destination: number): void {
    const base = this.entryOffset(index);
    this.table.write32(base + ENTRY_CONTROL, ENTRY_MASKED);
    this.table.write32(base + ENTRY_ADDRESS_LOW, (MSI_ADDRESS_BASE | (destination << MSI_DESTINATION_SHIFT)) >>> 0);
    this.table.write32(base + ENTRY_ADDRESS_HIGH, 0);
    this.table.write32(base + ENTRY_DATA, vector);
    this.table.write32(base + ENTRY_CONTROL, 0);
  }

  setMasked(index: number, masked: boolean): void {
    this.table.write32(this.entryOffset(index) + ENTRY_CONTROL, masked ? ENTRY_MASKED : 0);
  }

  /** Turns MSI-X on for the function (which turns its INTx off). */
  enable(): void {
    this.writeControl((control) => (control | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK);
  }

  disable(): void {
    this.writeControl((control) => control & ~MSIX_ENABLE);
  }

  private writeControl(change: (control: number) => number): void {
    const offset = this.capabilityOffset + MsixReg.MessageControl;
    this.config.write16(this.fn.address, offset, change(this.config.read16(this.fn.address, offset)));
  }

  private entryOffset(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`MSI-X entry ${index} out of 0..${this.size - 1}`);
    return index * ENTRY_BYTES;
  }
}
