import { demoMachine } from "./demo";
import type { Machine, MachineOptions } from "./types";

const MACHINES: Record<string, (options: MachineOptions) => Machine> = {
  demo: demoMachine,
};

/** The default machine of `app`; apps without one boot with no devices. */
export function machineFor(app: string, options: MachineOptions): Machine {
  return MACHINES[app]?.(options) ?? { qemuArgs: [] };
}
