/**
 * Where a PCI function's INTx line arrives: the firmware writes the ISA IRQ it routed the pin to
 * into the Interrupt Line register, and the MADT says which GSI (and trigger, polarity) that is.
 */
import type { SourceOverride } from "../acpi/madt";
import type { PciFunction } from "../pci/device";
import type { RouteOptions } from "./ioapic";

const NO_LINE = 0xff;
const ISA_IRQ_COUNT = 16;
/** PCI INTx lines are level-triggered and active-low unless the MADT says otherwise. */
const PCI_DEFAULT: RouteOptions = { levelTriggered: true, activeLow: true };

export interface IntxRoute extends RouteOptions {
  readonly gsi: number;
}

export function intxRoute(fn: PciFunction, overrides: readonly SourceOverride[]): IntxRoute | undefined {
  if (fn.interruptPin === 0 || fn.interruptLine === NO_LINE || fn.interruptLine >= ISA_IRQ_COUNT) return undefined;
  const override = overrides.find((o) => o.isaIrq === fn.interruptLine);
  return {
    gsi: override?.gsi ?? fn.interruptLine,
    levelTriggered: override?.levelTriggered ?? PCI_DEFAULT.levelTriggered,
    activeLow: override?.activeLow ?? PCI_DEFAULT.activeLow,
  };
}
