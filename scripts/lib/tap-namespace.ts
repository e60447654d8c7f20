// A network namespace holding one tap device with a host address, so that a guest on QEMU's
// `-netdev tap` meets the host's Linux network stack with addresses that exist only in there.
// Needs root (or CAP_NET_ADMIN); QEMU runs inside through `wrapper`.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const COMMAND_TIMEOUT_MS = 300_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** QEMU's `-netdev` (id net0) for tap device `tap`, with the virtio-net header (offloads) on. */
export function tapNetdev(tap: string): string {
  return `tap,id=net0,ifname=${tap},script=no,downscript=no,vnet_hdr=on`;
}

export interface TapNamespaceOptions {
  readonly name: string;
  readonly tap: string;
  /** The host side's address and prefix length on the tap device. */
  readonly hostAddress: string;
  readonly prefix: number;
}

export class TapNamespace {
  private constructor(readonly options: TapNamespaceOptions) {}

  /** Creates the namespace with its tap device up, or returns why this machine cannot. */
  static create(options: TapNamespaceOptions): TapNamespace | string {
    try {
      execFileSync("ip", ["netns", "add", options.name], { stdio: "pipe" });
    } catch (error) {
      // ip's own complaint (e.g. "mkdir /run/netns failed: Permission denied") says more than the exit status.
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      return `cannot create a network namespace: ${stderr || (error as Error).message.split("\n")[0]}`;
    }
    const namespace = new TapNamespace(options);
    namespace.runSync("ip", "link", "set", "lo", "up");
    namespace.runSync("ip", "tuntap", "add", "dev", options.tap, "mode", "tap");
    namespace.runSync("ip", "addr", "add", `${options.hostAddress}/${options.prefix}`, "dev", options.tap);
    namespace.runSync("ip", "link", "set", options.tap, "up");
    return namespace;
  }

  /** The `-netdev` for QEMU on this namespace's tap device; see tapNetdev. */
  get netdev(): string {
    return tapNetdev(this.options.tap);
  }

  /** Prefix for commands (QEMU) that must run inside. */
  get wrapper(): readonly string[] {
    return ["ip", "netns", "exec", this.options.name];
  }

  /** Runs a command inside and returns its standard output; throws on failure or timeout. */
  runSync(...command: string[]): string {
    return execFileSync("ip", ["netns", "exec", this.options.name, ...command], { encoding: "utf8", timeout: COMMAND_TIMEOUT_MS });
  }

  /** As runSync, without blocking the event loop (QEMU's output keeps flowing meanwhile). */
  async run(...command: string[]): Promise<string> {
    const { stdout } = await execFileAsync("ip", ["netns", "exec", this.options.name, ...command], {
      encoding: "utf8",
      timeout: COMMAND_TIMEOUT_MS,
      maxBuffer: MAX_OUTPUT_BYTES,
    });
    return stdout;
  }

  delete(): void {
    execFileSync("ip", ["netns", "del", this.options.name]);
  }
}
