/**
 * The I/O APIC: input levels become vectors at the local APIC through the redirection table
 * (IOREGSEL/IOWIN). Level-triggered inputs are simplified: once delivered, an input waits for the
 * kernel's end of interrupt (modelled as the next take or wait) and re-raises if still asserted.
 */
import type { SimWire } from "./acpi";
import type { SimLocalApic } from "./apic";
import type { AccessWidth, RegisterBlock } from "./registers";
import type { ViolationLog } from "./violations";

const IOREGSEL = 0x00;
const IOWIN = 0x10;
const REG_ID = 0x00;
const REG_VERSION = 0x01;
const REG_ARBITRATION = 0x02;
const REG_REDIRECTION = 0x10;
const VERSION = 0x11;
const MAX_ENTRY_SHIFT = 16;
const ID_SHIFT = 24;
export const SIM_IO_APIC_INPUTS = 24;
export const IO_APIC_WINDOW = 0x20;

const VECTOR_MASK = 0xff;
const DELIVERY_MODE_MASK = 0b111 << 8;
const DESTINATION_LOGICAL = 1 << 11;
const ACTIVE_LOW = 1 << 13;
const REMOTE_IRR = 1 << 14;
const LEVEL = 1 << 15;
const MASKED = 1 << 16;
const WRITABLE_LOW = VECTOR_MASK | DELIVERY_MODE_MASK | DESTINATION_LOGICAL | ACTIVE_LOW | LEVEL | MASKED;
const DESTINATION_SHIFT = 24;

interface Input {
  low: number;
  high: number;
  asserted: boolean;
  remoteIrr: boolean;
  readonly sources: (() => boolean)[];
}

export class SimIoApic implements RegisterBlock {
  private select = 0;
  private readonly inputs: Input[] = Array.from({ length: SIM_IO_APIC_INPUTS }, () => ({
    low: MASKED,
    high: 0,
    asserted: false,
    remoteIrr: false,
    sources: [],
  }));

  constructor(
    private readonly id: number,
    private readonly apic: SimLocalApic,
    private readonly wire: (gsi: number) => SimWire,
    private readonly violations: ViolationLog,
  ) {}

  /** Wires a level source (a PCI function's INTx) to `gsi`; inputs are the OR of their sources. */
  connect(gsi: number, asserted: () => boolean): void {
    this.inputs[gsi].sources.push(asserted);
  }

  /** Re-reads the sources of `gsi` (a device changed its line). */
  lineChanged(gsi: number): void {
    const input = this.inputs[gsi];
    const was = input.asserted;
    input.asserted = input.sources.some((source) => source());
    if ((input.low & MASKED) !== 0 || !input.asserted) return;
    if ((input.low & LEVEL) !== 0 ? !input.remoteIrr : !was) this.deliver(input);
  }

  /** The kernel acknowledged what it took: level inputs still asserted fire again. */
  endOfInterrupt(): void {
    this.inputs.forEach((input, gsi) => {
      if (!input.remoteIrr) return;
      input.remoteIrr = false;
      this.lineChanged(gsi);
    });
  }

  read(offset: number, width: AccessWidth): number {
    if (!this.checkAccess(offset, width)) return 0;
    if (offset === IOREGSEL) return this.select;
    switch (this.select) {
      case REG_ID:
        return this.id << ID_SHIFT;
      case REG_VERSION:
        return VERSION | ((SIM_IO_APIC_INPUTS - 1) << MAX_ENTRY_SHIFT);
      case REG_ARBITRATION:
        return 0;
    }
    const input = this.redirection();
    if (input === undefined) return 0;
    if ((this.select & 1) !== 0) return input.high;
    return (input.low | (input.remoteIrr ? REMOTE_IRR : 0)) >>> 0;
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (!this.checkAccess(offset, width)) return;
    if (offset === IOREGSEL) {
      this.select = value & 0xff;
      return;
    }
    const input = this.redirection();
    if (input === undefined) {
      this.violations.record("ioapic", `write to read-only register 0x${this.select.toString(16)}`);
      return;
    }
    if ((this.select & 1) !== 0) {
      input.high = value >>> 0;
      return;
    }
    input.low = value & WRITABLE_LOW;
    if ((input.low & MASKED) === 0) {
      this.checkRoute((this.select - REG_REDIRECTION) >> 1, input);
      this.lineChanged((this.select - REG_REDIRECTION) >> 1);
    }
  }

  private deliver(input: Input): void {
    if ((input.low & LEVEL) !== 0) input.remoteIrr = true;
    this.apic.deliver(input.low & VECTOR_MASK);
  }

  private checkRoute(gsi: number, input: Input): void {
    const problems: string[] = [];
    const vectorProblem = this.apic.checkVector(input.low & VECTOR_MASK);
    if (vectorProblem !== undefined) problems.push(vectorProblem);
    if ((input.low & DELIVERY_MODE_MASK) !== 0) problems.push("not fixed delivery");
    if ((input.low & DESTINATION_LOGICAL) !== 0) problems.push("logical destination mode");
    if (input.high >>> DESTINATION_SHIFT !== this.apic.localApicId) problems.push(`destination APIC ${input.high >>> DESTINATION_SHIFT}`);
    const wire = this.wire(gsi);
    if (((input.low & LEVEL) !== 0) !== wire.levelTriggered) problems.push(`trigger mode differs from the ${wire.levelTriggered ? "level" : "edge"}-triggered wire`);
    if (((input.low & ACTIVE_LOW) !== 0) !== wire.activeLow) problems.push(`polarity differs from the active-${wire.activeLow ? "low" : "high"} wire`);
    for (const problem of problems) this.violations.record("ioapic", `GSI ${gsi} unmasked with ${problem}`);
  }

  private redirection(): Input | undefined {
    if (this.select < REG_REDIRECTION) return undefined;
    return this.inputs[(this.select - REG_REDIRECTION) >> 1];
  }

  private checkAccess(offset: number, width: AccessWidth): boolean {
    if (width === 4 && (offset === IOREGSEL || offset === IOWIN)) return true;
    this.violations.record("ioapic", `${width}-byte access at offset 0x${offset.toString(16)}`);
    return false;
  }
}
