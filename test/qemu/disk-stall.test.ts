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
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { demoForFile } from "./lib/demo-guest";
import { blockStatus, stallAndRecover } from "./lib/stall";

const BLOCK_TIMEOUT_MS = 3000;
/** Room over the block timeout for the guest's reset and the HTTP answer under TCG. */
const ANSWER_SLACK_MS = 7000;

const demo = demoForFile("vireo-disk-stall-", () => ({ append: `blk.timeout-ms=${BLOCK_TIMEOUT_MS}`, qmpSocket: socket }));
const socket = join(demo.dir, "qmp.sock");

describe("demo key-value store on a disk that stalls and recovers", () => {
  it("fails requests during the stall within the block timeout, resets the device and serves again after it", async () => {
    expect(await blockStatus(demo.target)).toMatchObject({ recoveries: 0, offline: "no" });
    await stallAndRecover({ target: demo.target, socket, blockTimeoutMs: BLOCK_TIMEOUT_MS, answerSlackMs: ANSWER_SLACK_MS, console: () => `guest console:\n${demo.guest.output}` });
  });
});
