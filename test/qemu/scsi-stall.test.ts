// The demo's key-value store on a SCSI unit whose drive stops answering, then comes back. QEMU
// throttles the drive to one byte per second (block_set_io_throttle): the unit never completes
// the command. At the block timeout (`blk.timeout-ms`) the guest aborts it through the control
// queue (ABORT TASK, then LOGICAL UNIT RESET) and the client gets a 5xx; once the throttle is
// lifted, puts and gets work again on the same unit and every acknowledged value is still there.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { demoForFile } from "./lib/demo-guest";
import { blockStatus, stallAndRecover } from "./lib/stall";

const BLOCK_TIMEOUT_MS = 3000;
/** Room over the block timeout for the task management and the HTTP answer under TCG. */
const ANSWER_SLACK_MS = 12_000;

const demo = demoForFile("vireo-scsi-stall-", () => ({ append: `blk.timeout-ms=${BLOCK_TIMEOUT_MS}`, qmpSocket: socket, variant: { scsi: true } }));
const socket = join(demo.dir, "qmp.sock");

describe("demo key-value store on a SCSI unit that stalls and recovers", () => {
  it("aborts the stalled command through task management and serves again on the same unit", async () => {
    expect(await blockStatus(demo.target)).toMatchObject({ recoveries: 0, offline: "no" });
    await stallAndRecover({ target: demo.target, socket, blockTimeoutMs: BLOCK_TIMEOUT_MS, answerSlackMs: ANSWER_SLACK_MS, console: () => `guest console:\n${demo.guest.output}` });
  });
});
