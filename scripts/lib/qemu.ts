// Boots a Vireo kernel in QEMU with the serial console on stdio and the guest's exit status
// carried out through isa-debug-exit.
import { spawn } from "node:child_process";
import { kernelPath, type KernelEntry } from "./paths";

export interface BootOptions {
  /** An app of this repository (images/<app>), booted from its built kernel... */
  app?: string;
  /** ...or a kernel file (`vireo build` output). */
  kernel?: string;
  /** Boot this ISO instead of the app's kernel with -kernel (the ISO carries its command line). */
  iso?: string;
  /** Which kernel image -kernel loads (default multiboot; microvm needs pvh). */
  entry?: KernelEntry;
  /** The kernel command line TypeScript sees as vireoNative.commandLine. */
  append?: string;
  memory?: string;
  qemuArgs?: string[];
  /** Kill QEMU after this long; 0 for no limit. */
  timeoutMs?: number;
  /** Serial output as it arrives (e.g. process.stdout.write). */
  onOutput?: (text: string) => void;
  /** Serial input for the guest; "inherit" passes the terminal through. */
  stdin?: "inherit" | "ignore" | "pipe";
  /** A command QEMU runs under, which must exec it (e.g. `ip netns exec NAME` for a network namespace). */
  wrapper?: readonly string[];
}

export interface BootResult {
  /** The guest's exit status; undefined when QEMU ended some other way (see qemuStatus). */
  status: number | undefined;
  qemuStatus: number | null;
  output: string;
  timedOut: boolean;
  elapsedMs: number;
}

const QEMU = "qemu-system-x86_64";
const DEBUG_EXIT = "isa-debug-exit,iobase=0xf4,iosize=0x04";
export const DEFAULT_MEMORY = "128M";

export function qemuArgs(options: BootOptions): string[] {
  const kernel = options.kernel ?? kernelPath(options.app ?? "", options.entry);
  const image = options.iso ? ["-cdrom", options.iso] : ["-kernel", kernel, "-append", options.append ?? ""];
  return [
    ...image,
    "-m", options.memory ?? DEFAULT_MEMORY,
    "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
    "-device", DEBUG_EXIT,
    ...(options.qemuArgs ?? []),
  ];
}

/** isa-debug-exit turns a guest write of v into QEMU status (v << 1) | 1. */
export function guestStatus(qemuStatus: number | null): number | undefined {
  if (qemuStatus === null || (qemuStatus & 1) === 0) return undefined;
  return qemuStatus >> 1;
}

/** A running guest: its serial output so far, a way to wait for a line, and its end. */
export class Guest {
  output = "";
  readonly exited: Promise<BootResult>;
  private readonly waiters = new Set<() => void>();
  private readonly kill: () => void;
  private readonly childPid: number | undefined;

  constructor(options: BootOptions) {
    const started = Date.now();
    const [command = QEMU, ...prefix] = [...(options.wrapper ?? []), QEMU];
    const child = spawn(command, [...prefix, ...qemuArgs(options)], { stdio: [options.stdin ?? "ignore", "pipe", "pipe"] });
    this.childPid = child.pid;
    let timedOut = false;
    const collect = (chunk: string): void => {
      // The serial console sends CRLF; chunks may split the pair, so drop every CR.
      const text = chunk.replace(/\r/g, "");
      this.output += text;
      options.onOutput?.(text);
      for (const wake of this.waiters) wake();
    };
    child.stdout?.setEncoding("utf8").on("data", collect);
    child.stderr?.setEncoding("utf8").on("data", collect);
    this.kill = () => child.kill("SIGKILL");
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          this.kill();
        }, options.timeoutMs)
      : undefined;
    this.exited = new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        for (const wake of this.waiters) wake();
        resolve({ status: guestStatus(code), qemuStatus: code, output: this.output, timedOut, elapsedMs: Date.now() - started });
      });
    });
  }

  /** The QEMU process id (undefined if it could not be started). */
  get pid(): number | undefined {
    return this.childPid;
  }

  /** Resolves with the first match of `pattern` in the output; rejects if the guest ends first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      let ended = false;
      void this.exited.then(() => (ended = true));
      const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const check = (): void => {
        const match = pattern.exec(this.output);
        if (match) finish(match);
        else if (ended) finish(new Error(`guest ended before ${pattern}:\n${this.output}`));
      };
      const finish = (result: RegExpExecArray | Error): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Ends the machine as a power cut would, and waits for QEMU to exit. */
  async stop(): Promise<BootResult> {
    this.kill();
    return this.exited;
  }
}

export function launch(options: BootOptions): Guest {
  return new Guest(options);
}

export function boot(options: BootOptions): Promise<BootResult> {
  return launch(options).exited;
}
