// The demo's key-value store on a SCSI unit whose drive stops answering, then comes back. QEMU
// throttles the drive to one byte per second (block_set_io_throttle): the unit never completes
// the command. At the block timeout (`blk.timeout-ms`) the guest aborts it through the control
// queue (ABORT TASK, then LOGICAL UNIT RESET) and the client gets a 5xx; once the throttle is
// lifted, puts and gets work again on the same unit and every acknowledged value is still there.
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
/** Room over the block timeout for the task management and the HTTP answer under TCG. */
const ANSWER_SLACK_MS = 12_000;
const STALLED_BYTES_PER_SECOND = 1;
const VALUE_BYTES = 4096;
const HTTP_SERVER_ERROR = 500;

const dir = mkdtempSync(join(tmpdir(), "vireo-scsi-stall-"));
const disk = join(dir, "kv.img");
const socket = join(dir, "qmp.sock");
let target: Target;
let guest: Guest | undefined;

beforeAll(async () => {
  target = { host: "127.0.0.1", port: await freePort() };
  guest = await bootDemo({ disk, httpPort: target.port, append: `blk.timeout-ms=${BLOCK_TIMEOUT_MS}`, qmpSocket: socket, variant: { scsi: true } });
}, DEMO_READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await guest?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("demo key-value store on a SCSI unit that stalls and recovers", () => {
  it("aborts the stalled command through task management and serves again on the same unit", async () => {
    const console = () => `guest console:\n${guest?.output ?? ""}`;
    const before = randomBytes(VALUE_BYTES);
    expect((await send(target, "PUT", "/kv/before", before)).status, console()).toBe(201);

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
