// Disk errors from QEMU's blkdebug driver under the demo's key-value store: a write or a flush
// that fails once, then one that keeps failing, each switched on and off while the guest runs.
// The client is told (HTTP 5xx), every acknowledged value stays readable with its exact bytes
// (also after a reboot on the same image), and the store serves again once the errors stop.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../scripts/lib/qemu";
import { DEMO_DISK_BYTES } from "../../scripts/machines/demo";
import { ADVANCE_BYTES, DiskFaults, type FaultPhase } from "./lib/blkdebug";
import { bootDemo, DEMO_READY_TIMEOUT_MS, send, type Target } from "./lib/demo-guest";
import { freePort } from "./lib/ports";

const PHASES: readonly FaultPhase[] = ["off", "write-once", "off", "write-always", "off", "flush-once", "off", "flush-always", "off"];
/** Puts tried while a repeated error is on: each must fail, none may hang. */
const PUTS_DURING_ALWAYS = 3;
const VALUE_BYTES = 3000;
const HTTP_SERVER_ERROR = 500;

const dir = mkdtempSync(join(tmpdir(), "vireo-disk-faults-"));
const disk = join(dir, "kv.img");
const socket = join(dir, "qmp.sock");
// The store's log starts at the front of the 64 MiB disk and these tests write a few hundred KB:
// the last 64 KiB stay zeroes, so writing zeroes there to switch phases changes nothing.
const faults = new DiskFaults(join(dir, "blkdebug.conf"), PHASES, "kv", DEMO_DISK_BYTES - ADVANCE_BYTES);
let target: Target;
let guest: Guest | undefined;
/** Every value the guest acknowledged (2xx), by key. */
const acknowledged = new Map<string, Buffer>();
/** Values of puts that failed: after a crash each may or may not be there, never in part. */
const unacknowledged = new Map<string, Buffer[]>();

async function put(key: string, value: Buffer): Promise<number> {
  const reply = await send(target, "PUT", `/kv/${key}`, value);
  if (reply.status >= 200 && reply.status < 300) acknowledged.set(key, value);
  else unacknowledged.set(key, [...(unacknowledged.get(key) ?? []), value]);
  return reply.status;
}

async function expectAcknowledgedServed(): Promise<void> {
  for (const [key, value] of acknowledged) {
    const reply = await send(target, "GET", `/kv/${key}`);
    expect(reply.status, `GET ${key}`).toBe(200);
    expect(Buffer.compare(reply.body, value), `GET ${key} returns the acknowledged bytes`).toBe(0);
  }
}

async function boot(withFaults: boolean): Promise<void> {
  guest = await bootDemo({
    disk,
    httpPort: target.port,
    variant: withFaults ? { blkdebugConfig: faults.config } : {},
    qmpSocket: withFaults ? socket : undefined,
  });
}

function consoleOnFailure(): string {
  return `guest console:\n${guest?.output ?? ""}`;
}

beforeAll(async () => {
  target = { host: "127.0.0.1", port: await freePort() };
  await boot(true);
}, DEMO_READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await guest?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A put while the error is on fails with 5xx; the same put succeeds once it is off. */
async function failThenRecover(phase: FaultPhase, key: string, attempts: number): Promise<void> {
  expect(await put(`${key}-before`, randomBytes(VALUE_BYTES)), consoleOnFailure()).toBe(201);
  await faults.advance(socket, phase);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const status = await put(key, randomBytes(VALUE_BYTES));
    expect(status, `put ${attempt + 1} under ${phase}\n${consoleOnFailure()}`).toBeGreaterThanOrEqual(HTTP_SERVER_ERROR);
  }
  await expectAcknowledgedServed();
  if (phase.endsWith("-always")) await faults.advance(socket, "off");
  expect([201, 204], consoleOnFailure()).toContain(await put(key, randomBytes(VALUE_BYTES)));
  await expectAcknowledgedServed();
}

describe("demo key-value store on a disk with injected errors (blkdebug)", () => {
  it("answers 5xx to a put whose data write fails once, then stores again", async () => {
    await failThenRecover("write-once", "write-once", 1);
  });

  it("answers 5xx to every put while writes keep failing, serves reads, stores again once they stop", async () => {
    await faults.advance(socket, "off");
    await failThenRecover("write-always", "write-always", PUTS_DURING_ALWAYS);
  });

  it("answers 5xx to a put whose flush fails once, then stores again", async () => {
    await failThenRecover("flush-once", "flush-once", 1);
  });

  it("answers 5xx to every put while flushes keep failing, serves reads, stores again once they stop", async () => {
    await faults.advance(socket, "off");
    await failThenRecover("flush-always", "flush-always", PUTS_DURING_ALWAYS);
  });

  it("serves every acknowledged value after a reboot on the same image, and no failed put in part", async () => {
    await guest?.stop();
    await boot(false);
    await expectAcknowledgedServed();
    for (const [key, tried] of unacknowledged) {
      if (acknowledged.has(key)) continue;
      const reply = await send(target, "GET", `/kv/${key}`);
      if (reply.status === 404) continue;
      expect(reply.status, `GET ${key}`).toBe(200);
      expect(tried.some((value) => Buffer.compare(value, reply.body) === 0), `${key} holds one whole value that was put`).toBe(true);
    }
  }, DEMO_READY_TIMEOUT_MS + 30_000);
});
