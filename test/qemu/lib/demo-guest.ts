// The demo image booted for a test, and plain HTTP requests to it with a deadline each.
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { launch, type Guest } from "../../../scripts/lib/qemu";
import { demoMachine, type DemoVariant } from "../../../scripts/machines/demo";
import { freePort } from "./ports";

export const DEMO_READY = /demo ready: listening on http:\/\/(\d+\.\d+\.\d+\.\d+):80/;
export const DEMO_READY_TIMEOUT_MS = 60_000;

export interface DemoBoot {
  /** The disk image (created, 64 MiB of zeroes, if missing). */
  readonly disk: string;
  /** Host port forwarded to the guest's HTTP port (user networking only). */
  readonly httpPort: number;
  readonly variant?: DemoVariant;
  /** Kernel command line (the demo's network and block options). */
  readonly append?: string;
  /** A QMP socket to create, for the test to drive QEMU's monitor. */
  readonly qmpSocket?: string;
  /** Run QEMU through this command prefix (e.g. `ip netns exec NAME`). */
  readonly wrapper?: readonly string[];
}

/** Boots the demo and waits until it serves HTTP. */
export async function bootDemo(options: DemoBoot): Promise<Guest> {
  const machine = demoMachine({ httpPort: options.httpPort }, options.disk, options.variant);
  const qmpArgs = options.qmpSocket === undefined ? [] : ["-qmp", `unix:${options.qmpSocket},server=on,wait=off`];
  const guest = launch({ app: "demo", append: options.append, qemuArgs: [...machine.qemuArgs, ...qmpArgs], wrapper: options.wrapper });
  try {
    await guest.waitFor(DEMO_READY, DEMO_READY_TIMEOUT_MS);
  } catch (error) {
    await guest.stop();
    throw error;
  }
  return guest;
}

export interface Reply {
  readonly status: number;
  readonly body: Buffer;
  readonly elapsedMs: number;
}

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** One request on its own connection; rejects if it is not answered within `timeoutMs`. */
export function send(target: Target, method: string, path: string, body?: Buffer, timeoutMs = 30_000): Promise<Reply> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: target.host, port: target.port, method, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), elapsedMs: Date.now() - started }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

export interface DemoForFile {
  /** A temp folder of the file's own (the demo's disk is `kv.img` in it unless `options` says otherwise). */
  readonly dir: string;
  readonly target: Target;
  readonly guest: Guest;
}

/**
 * The demo booted once before a test file's tests and stopped after them, its temp folder removed.
 * `options` gives what the file's machine has besides the defaults (paths may lie in `dir`).
 */
export function demoForFile(prefix: string, options: (dir: string) => Partial<Omit<DemoBoot, "httpPort">> = () => ({})): DemoForFile {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let target: Target | undefined;
  let guest: Guest | undefined;
  beforeAll(async () => {
    target = { host: "127.0.0.1", port: await freePort() };
    guest = await bootDemo({ disk: join(dir, "kv.img"), httpPort: target.port, ...options(dir) });
  }, DEMO_READY_TIMEOUT_MS + 10_000);
  afterAll(async () => {
    await guest?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const booted = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the demo has not booted (its beforeAll failed)");
    return value;
  };
  return {
    dir,
    get target() {
      return booted(target);
    },
    get guest() {
      return booted(guest);
    },
  };
}
