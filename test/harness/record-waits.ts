import type { SimMachine } from "../sim/machine";

/** Records every wait a driver makes on `machine`: when it last read the clock, and the deadline it asked for. */
export function recordWaits(machine: SimMachine): { readonly at: number; readonly until: number }[] {
  const waits: { at: number; until: number }[] = [];
  const now = machine.monotonicNs.bind(machine);
  const wait = machine.waitForInterrupt.bind(machine);
  let lastRead = 0;
  machine.monotonicNs = () => (lastRead = now());
  machine.waitForInterrupt = (deadlineNs: number) => {
    waits.push({ at: lastRead, until: deadlineNs });
    wait(deadlineNs);
  };
  return waits;
}
