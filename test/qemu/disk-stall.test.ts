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
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../scripts/lib/qemu";
import { bootDemo, DEMO_READY_TIMEOUT_MS, type Target } from "./lib/demo-guest";
import { freePort } from "./lib/ports";
import { blockStatus, stallAndRecover } from "./lib/stall";

const BLOCK_TIMEOUT_MS = 3000;
/** Room over the block timeout for the guest's reset and the HTTP answer under TCG. */
const ANSWER_SLACK_MS = 7000;

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
    expect(await blockStatus(target)).toMatchObject({ recoveries: 0, offline: "no" });
    await stallAndRecover({ target, socket, blockTimeoutMs: BLOCK_TIMEOUT_MS, answerSlackMs: ANSWER_SLACK_MS, console: () => `guest console:\n${guest?.output ?? ""}` });
  });
});
