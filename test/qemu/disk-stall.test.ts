// A disk that stops answering under the demo's key-value store, then comes back. QEMU throttles
// the drive to one byte per second (block_set_io_throttle): requests queue in QEMU and the
// guest sees a device that never completes them. The guest must answer the client with a 5xx
// within its block timeout (`blk.timeout-ms`), reset the device and bring it back; once the
// throttle is lifted, puts and gets work again and every acknowledged value is still there.
//
// (blkdebug's `break`/`resume` would stall one request too, but QEMU's virtio-blk reset drains
// the drive and would wait for the suspended request forever: the guest's reset is what has to
// end a stall. A virtio-blk reset drains throttled requests at once, as a real disk reset ends a
// stuck command.)
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../scripts/lib/qemu";
import { bootDemo, DEMO_READY_TIMEOUT_MS, send, type Target } from "./lib/demo-guest";
import { freePort } from "./lib/ports";
import { blockStatus, throttle } from "./lib/stall";

const BLOCK_TIMEOUT_MS = 3000;
/** Room over the block timeout for the guest's reset and the HTTP answer under TCG. */
const ANSWER_SLACK_MS = 7000;
const STALLED_BYTES_PER_SECOND = 1;
const VALUE_BYTES = 4096;
const HTTP_SERVER_ERROR = 500;

const dir = mkdtempSync(join(tmpdir(), "vireo-disk-stall-"));
const disk = join(dir, "kv.img");
const socket = join(dir, "qmp.sock");
let target: Target;
let guest: Guest | undefined;

beforeAll(async () => {
  target = { host: "127.0.0.1", port: await freePort() };
  guest = await bootDemo({ disk, httpPort: target.port, append: `blk.timeout-ms=${BLOCK_TIMEOUT_MS}`, qmpSocket: socket });
}, DEMO_READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await guest?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("demo key-value store on a disk that stalls and recovers", () => {
  it("fails requests during the stall within the block timeout, resets the device and serves again after it", async () => {
    const console = () => `guest console:\n${guest?.output ?? ""}`;
    const before = randomBytes(VALUE_BYTES);
    expect((await send(target, "PUT", "/kv/before", before)).status, console()).toBe(201);
    expect(await blockStatus(target)).toMatchObject({ recoveries: 0, offline: "no" });

    await throttle(socket, "kv", STALLED_BYTES_PER_SECOND);
    const stalled = await send(target, "PUT", "/kv/stalled", randomBytes(VALUE_BYTES), BLOCK_TIMEOUT_MS + ANSWER_SLACK_MS);
    await throttle(socket, "kv", 0);
    expect(stalled.status, console()).toBeGreaterThanOrEqual(HTTP_SERVER_ERROR);
    expect(stalled.body.toString(), console()).toMatch(/timeout/);
    expect(stalled.elapsedMs).toBeGreaterThanOrEqual(BLOCK_TIMEOUT_MS);
    const status = await blockStatus(target);
    expect(status.recoveries, console()).toBeGreaterThanOrEqual(1);
    expect(status.offline, console()).toBe("no");

    const after = randomBytes(VALUE_BYTES);
    expect([201, 204], console()).toContain((await send(target, "PUT", "/kv/after", after)).status);
    for (const [key, value] of [["before", before], ["after", after]] as const) {
      const reply = await send(target, "GET", `/kv/${key}`);
      expect(reply.status, console()).toBe(200);
      expect(Buffer.compare(reply.body, value), `GET ${key}`).toBe(0);
    }
  });
});
