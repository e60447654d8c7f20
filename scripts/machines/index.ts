import { boardMachine } from "./board";
import { demoMachine } from "./demo";
import type { Machine, MachineOptions } from "./types";

const MACHINES: Record<string, (options: MachineOptions) => Machine> = {
  demo: demoMachine,
};

/** The default machine of `app` on the chosen board; apps without one boot with no devices. */
export function machineFor(app: string, options: MachineOptions): Machine {
  const board = boardMachine(options.board ?? "pc");
  const devices = MACHINES[app]?.(options) ?? { qemuArgs: [] };
  return { ...devices, qemuArgs: [...board.qemuArgs, ...devices.qemuArgs], entry: board.entry };
}
