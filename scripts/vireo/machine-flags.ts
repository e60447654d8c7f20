// The flags `vireo run` and `vireo test` share: devices, memory, kernel command line, time limit.
import { spawnSync } from "node:child_process";
import type { ParseArgsConfig } from "node:util";
import { DEFAULT_MEMORY } from "../lib/qemu";
import type { Board } from "../machines/boards";
import { deviceArgs, parseDisk, parseNet, parsePort, parseShare, type PortForward } from "./devices";
import { UsageError, VireoError } from "./errors";

export const MACHINE_OPTIONS = {
  disk: { type: "string", multiple: true },
  share: { type: "string", multiple: true },
  net: { type: "string" },
  port: { type: "string", multiple: true },
  memory: { type: "string" },
  append: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies ParseArgsConfig["options"];

export interface MachineFlagValues {
  disk?: string[];
  share?: string[];
  net?: string;
  port?: string[];
  memory?: string;
  append?: string;
  timeout?: string;
}

export interface MachineSettings {
  readonly memory: string;
  readonly append: string;
  readonly timeoutMs: number;
  readonly ports: readonly PortForward[];
  qemuArgs(board: Board): string[];
}

const QEMU = "qemu-system-x86_64";
const MS_PER_S = 1000;

/** `defaultPorts` apply when the machine has user networking and no --port was given. */
export function machineSettings(values: MachineFlagValues, defaultPorts: readonly PortForward[]): MachineSettings {
  const disks = (values.disk ?? []).map(parseDisk);
  const shares = (values.share ?? []).map(parseShare);
  const net = parseNet(values.net ?? "user");
  const ports = values.port ? values.port.map(parsePort) : net.kind === "user" ? defaultPorts : [];
  const memory = values.memory ?? DEFAULT_MEMORY;
  if (!/^\d+[MG]?$/.test(memory)) throw new UsageError(`--memory ${memory}: a size such as 128M or 1G`);
  const seconds = values.timeout === undefined ? 0 : Number(values.timeout);
  if (!(seconds >= 0)) throw new UsageError(`--timeout ${values.timeout}: seconds, 0 for none`);
  return {
    memory,
    append: values.append ?? "",
    timeoutMs: seconds * MS_PER_S,
    ports,
    qemuArgs: (board) => [...board.qemuArgs, ...deviceArgs(board, { disks, net, ports, shares })],
  };
}

/** Fails with what to install when QEMU is not on the PATH. */
export function requireQemu(): void {
  const found = spawnSync(QEMU, ["--version"], { stdio: "ignore" });
  if (found.error !== undefined) throw new VireoError(`QEMU is not installed (${QEMU} is not on the PATH); on Debian: apt-get install qemu-system-x86`);
}
