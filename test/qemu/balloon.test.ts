// The demo image with a virtio-balloon, driven from QEMU's monitor: `balloon` to half the guest's
// memory shrinks it (query-balloon's actual follows, the guest's free pages drop by as much) while
// the app keeps serving; growing it back returns the pages; guest-stats show the guest's figures.
import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MIN_FREE_BYTES } from "../../drivers/virtio/balloon/balloon";
import { launch, type Guest } from "../../scripts/lib/qemu";
import { demoMachine } from "../../scripts/machines/demo";
import { freePort } from "./lib/ports";
import { qmp } from "./lib/qmp";

const MIB = 1024 * 1024;
const GUEST_MIB = 256;
const GUEST_BYTES = GUEST_MIB * MIB;
const HALF_BYTES = GUEST_BYTES / 2;
const PAGE = 4096;
const BALLOON_ID = "balloon0";
const BALLOON_PATH = `/machine/peripheral/${BALLOON_ID}`;
const READY = /demo ready: listening on/;
const READY_TIMEOUT_MS = 60_000;
const FOLLOW_TIMEOUT_MS = 60_000;
const POLL_MS = 10;
const STATS_INTERVAL_S = 1;
const UNSET_STAT = 2 ** 64;
/** Pages the guest may allocate or free on its own between two looks at its status (HTTP, timers). */
const SLACK_PAGES = 2048;

const dir = mkdtempSync(join(tmpdir(), "vireo-balloon-"));
let socket = "";
let port = 0;
let guest: Guest;

interface Status {
  readonly memory: { readonly freePages: number; readonly totalPages: number };
}

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", (error: Error) => reject(new Error(`GET ${path}: ${error.message}\nguest console:\n${guest?.output ?? ""}`)));
    req.end();
  });
}

async function status(): Promise<Status> {
  const reply = await get("/status.json");
  expect(reply.status).toBe(200);
  return JSON.parse(reply.body) as Status;
}

async function balloonActual(): Promise<number> {
  const [info] = (await qmp(socket, [{ execute: "query-balloon" }])) as [{ actual: number }];
  return info.actual;
}

/** Sets the target and waits until query-balloon's actual reaches it; returns how long that took. */
async function balloonTo(bytes: number): Promise<number> {
  const started = performance.now();
  await qmp(socket, [{ execute: "balloon", arguments: { value: bytes } }]);
  const deadline = started + FOLLOW_TIMEOUT_MS;
  let actual = await balloonActual();
  while (actual !== bytes) {
    if (performance.now() > deadline) throw new Error(`actual ${actual} never reached ${bytes}\nguest console:\n${guest.output}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    actual = await balloonActual();
  }
  return performance.now() - started;
}

/** Boots the demo with a balloon whose virtio-balloon-pci properties end in `properties`. */
async function bootDemo(name: string, properties: string): Promise<void> {
  port = await freePort();
  socket = join(dir, `${name}.qmp`);
  const machine = demoMachine({ httpPort: port }, join(dir, `${name}.img`));
  guest = launch({
    app: "demo",
    memory: `${GUEST_MIB}M`,
    qemuArgs: [
      ...machine.qemuArgs,
      "-device", `virtio-balloon-pci,id=${BALLOON_ID},deflate-on-oom=on,free-page-reporting=on${properties}`,
      "-qmp", `unix:${socket},server=on,wait=off`,
    ],
  });
  await guest.waitFor(READY, READY_TIMEOUT_MS);
}

/** Inflates to half the guest's memory and back, checking the guest's free pages and that the app answers. */
async function halfAndBack(label: string): Promise<void> {
  const before = await status();
  const inflateMs = await balloonTo(HALF_BYTES);
  console.log(`balloon (${label}): inflating ${HALF_BYTES / MIB} MiB of ${GUEST_MIB} MiB (${HALF_BYTES / PAGE} pages) took ${inflateMs.toFixed(0)} ms`);
  const inflated = await status();
  const taken = before.memory.freePages - inflated.memory.freePages;
  expect(Math.abs(taken - HALF_BYTES / PAGE)).toBeLessThan(SLACK_PAGES);
  // The app still answers, and its store still lists its keys.
  expect((await get("/")).status).toBe(200);
  expect((await get("/kv")).status).toBe(200);
  const deflateMs = await balloonTo(GUEST_BYTES);
  console.log(`balloon (${label}): deflating back to ${GUEST_MIB} MiB took ${deflateMs.toFixed(0)} ms`);
  const deflated = await status();
  expect(Math.abs(deflated.memory.freePages - before.memory.freePages)).toBeLessThan(SLACK_PAGES);
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// QEMU gives virtio-balloon-pci no MSI-X (it has no `vectors` property): the configuration changes
// and completions arrive on INTx, through the ISR.
describe("virtio-balloon on QEMU's monitor (modern interface)", () => {
  beforeAll(() => bootDemo("modern", ""), READY_TIMEOUT_MS + 10_000);
  afterAll(async () => {
    await guest?.stop();
  });

  it("is probed and starts empty", async () => {
    const line = /^virtio \S+ type=balloon .*$/m.exec(guest.output);
    expect(line, guest.output).not.toBeNull();
    console.log(`balloon: ${line?.[0]}`);
    expect(guest.output).not.toMatch(/virtio-error/);
    expect(await balloonActual()).toBe(GUEST_BYTES);
  });

  it("inflates to half the guest's memory, the app keeps serving, and deflating returns the pages", async () => {
    await halfAndBack("modern");
  }, 2 * FOLLOW_TIMEOUT_MS + 30_000);

  it("a target beyond the guest's free memory is bounded: the guest keeps its floor and keeps serving", async () => {
    await qmp(socket, [{ execute: "balloon", arguments: { value: 1 } }]);
    // The balloon stops at the floor: actual stays above what was asked.
    let last = 0;
    let actual = await balloonActual();
    const deadline = performance.now() + FOLLOW_TIMEOUT_MS;
    while (actual !== last && performance.now() < deadline) {
      last = actual;
      await new Promise((resolve) => setTimeout(resolve, 500));
      actual = await balloonActual();
    }
    expect(actual).toBeGreaterThan(1);
    const squeezed = await status();
    expect(squeezed.memory.freePages * PAGE).toBeGreaterThanOrEqual(DEFAULT_MIN_FREE_BYTES - SLACK_PAGES * PAGE);
    expect((await get("/")).status).toBe(200);
    await balloonTo(GUEST_BYTES);
  }, 2 * FOLLOW_TIMEOUT_MS + 30_000);

  it("guest-stats show the guest's free and total memory", async () => {
    await qmp(socket, [{ execute: "qom-set", arguments: { path: BALLOON_PATH, property: "guest-stats-polling-interval", value: STATS_INTERVAL_S } }]);
    interface GuestStats {
      readonly stats: Record<string, number>;
      readonly "last-update": number;
    }
    let stats: GuestStats | undefined;
    const deadline = performance.now() + FOLLOW_TIMEOUT_MS;
    do {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      [stats] = (await qmp(socket, [{ execute: "qom-get", arguments: { path: BALLOON_PATH, property: "guest-stats" } }])) as [GuestStats];
    } while (stats["last-update"] === 0 && performance.now() < deadline);
    expect(stats["last-update"]).toBeGreaterThan(0);
    const guestStatus = await status();
    expect(stats.stats["stat-total-memory"]).toBe(guestStatus.memory.totalPages * PAGE);
    expect(Math.abs(stats.stats["stat-free-memory"] - guestStatus.memory.freePages * PAGE)).toBeLessThan(SLACK_PAGES * PAGE);
    expect(stats.stats["stat-available-memory"]).toBe(stats.stats["stat-free-memory"]);
    expect(stats.stats["stat-major-faults"]).toBe(0);
    expect(stats.stats["stat-minor-faults"]).toBe(0);
    // Statistics the guest does not supply stay unset: QEMU's (uint64)-1, which JSON.parse rounds to 2^64.
    expect(stats.stats["stat-swap-in"]).toBe(UNSET_STAT);
  }, FOLLOW_TIMEOUT_MS + 30_000);
});

describe("virtio-balloon on QEMU's monitor (legacy interface)", () => {
  beforeAll(() => bootDemo("legacy", ",disable-modern=on"), READY_TIMEOUT_MS + 10_000);
  afterAll(async () => {
    await guest?.stop();
  });

  it("inflates to half the guest's memory and back", async () => {
    expect(guest.output).toMatch(/^virtio \S+ type=balloon transport=legacy /m);
    await halfAndBack("legacy");
  }, 2 * FOLLOW_TIMEOUT_MS + 30_000);
});
