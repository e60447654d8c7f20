/**
 * A PCI function's MSI-X table and pending-bit array. A message for a masked entry (or while the
 * function is masked) is held as pending and sent once unmasked; entries are checked against the
 * x86 message format when they are unmasked.
 */
import { MSIX_ENABLE, MSIX_FUNCTION_MASK, MSIX_TABLE_ENTRY_SIZE, MsixReg } from "../../kernel/pci/registers";
import type { SimLocalApic } from "./apic";
import type { SimPciFunction } from "./pci";
import type { AccessWidth, RegisterBlock } from "./registers";
import type { ViolationLog } from "./violations";

const ADDRESS_LOW = 0;
const ADDRESS_HIGH = 4;
const DATA = 8;
const CONTROL = 12;
const ENTRY_MASKED = 1;

export class SimMsix {
  /** Messages sent, by entry. */
  readonly sent: number[];
  private readonly table: DataView;
  private readonly pending: boolean[];

  constructor(
    private readonly fn: SimPciFunction,
    private readonly capabilityOffset: number,
    readonly size: number,
    private readonly pbaOffset: number,
    private readonly apic: SimLocalApic,
    private readonly violations: ViolationLog,
  ) {
    this.table = new DataView(new ArrayBuffer(size * MSIX_TABLE_ENTRY_SIZE));
    for (let i = 0; i < size; i++) this.table.setUint32(i * MSIX_TABLE_ENTRY_SIZE + CONTROL, ENTRY_MASKED, true);
    this.pending = new Array<boolean>(size).fill(false);
    this.sent = new Array<number>(size).fill(0);
  }

  get enabled(): boolean {
    return (this.control() & MSIX_ENABLE) !== 0;
  }

  /** The table at offset 0 of its BAR window, the pending bits at `pbaOffset`. */
  readonly registers: RegisterBlock = {
    read: (offset, width) => this.read(offset, width),
    write: (offset, width, value) => this.write(offset, width, value),
  };

  /** The device signals `entry`; out-of-range entries go nowhere. */
  signal(entry: number): void {
    if (!this.enabled || entry >= this.size) return;
    this.pending[entry] = true;
    this.flush(entry);
  }

  /** Sends what became deliverable (after an enable or function unmask). */
  refresh(): void {
    for (let entry = 0; entry < this.size; entry++) this.flush(entry);
  }

  private flush(entry: number): void {
    const control = this.control();
    if (!this.pending[entry] || (control & MSIX_ENABLE) === 0 || (control & MSIX_FUNCTION_MASK) !== 0 || this.masked(entry)) return;
    this.pending[entry] = false;
    this.sent[entry]++;
    const base = entry * MSIX_TABLE_ENTRY_SIZE;
    this.apic.deliverMsi(`${this.fn.name} MSI-X entry ${entry}`, this.table.getUint32(base + ADDRESS_LOW, true), this.table.getUint32(base + ADDRESS_HIGH, true), this.table.getUint32(base + DATA, true));
  }

  private masked(entry: number): boolean {
    return (this.table.getUint32(entry * MSIX_TABLE_ENTRY_SIZE + CONTROL, true) & ENTRY_MASKED) !== 0;
  }

  private control(): number {
    return this.fn.peek16(this.capabilityOffset + MsixReg.MessageControl);
  }

  private read(offset: number, width: AccessWidth): number {
    if (width !== 4) {
      this.violations.record(this.fn.name, `${width}-byte MSI-X access at 0x${offset.toString(16)}`);
      return 0;
    }
    if (offset >= this.pbaOffset) {
      const first = (offset - this.pbaOffset) * 8;
      let bits = 0;
      for (let i = 0; i < 32 && first + i < this.size; i++) if (this.pending[first + i]) bits |= 1 << i;
      return bits >>> 0;
    }
    return offset < this.table.byteLength ? this.table.getUint32(offset, true) : 0;
  }

  private write(offset: number, width: AccessWidth, value: number): void {
    if (width !== 4 || offset >= this.table.byteLength) {
      this.violations.record(this.fn.name, `${width}-byte MSI-X write at 0x${offset.toString(16)} outside the table`);
      return;
    }
    this.table.setUint32(offset, value >>> 0, true);
    const entry = Math.floor(offset / MSIX_TABLE_ENTRY_SIZE);
    if (offset % MSIX_TABLE_ENTRY_SIZE !== CONTROL || this.masked(entry)) return;
    const base = entry * MSIX_TABLE_ENTRY_SIZE;
    const problem = this.apic.checkMsi(this.table.getUint32(base + ADDRESS_LOW, true), this.table.getUint32(base + ADDRESS_HIGH, true), this.table.getUint32(base + DATA, true));
    if (problem !== undefined) this.violations.record(this.fn.name, `MSI-X entry ${entry} unmasked with ${problem}`);
    this.flush(entry);
  }
}
