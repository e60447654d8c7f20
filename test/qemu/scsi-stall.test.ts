// The demo's key-value store on a SCSI unit whose drive stops answering, then comes back. QEMU
// throttles the drive to one byte per second (block_set_io_throttle): the unit never completes
// the command. At the block timeout (`blk.timeout-ms`) the guest aborts it through the control
// queue (ABORT TASK, then LOGICAL UNIT RESET) and the client gets a 5xx; once the throttle is
// lifted, puts and gets work again on the same unit and every acknowledged value is still there.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../scripts/lib/qemu";
import { bootDemo, DEMO_READY_TIMEOUT_MS, type Target } from "./lib/demo-guest";
import { freePort } from "./lib/ports";
import { blockStatus, stallAndRecover } from "./lib/stall";

const BLOCK_TIMEOUT_MS = 3000;
/** Room over the block timeout for the task management and the HTTP answer under TCG. */
const ANSWER_SLACK_MS = 12_000;

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
    expect(await blockStatus(target)).toMatchObject({ recoveries: 0, offline: "no" });
    await stallAndRecover({ target, socket, blockTimeoutMs: BLOCK_TIMEOUT_MS, answerSlackMs: ANSWER_SLACK_MS, console: () => `guest console:\n${guest?.output ?? ""}` });
  });
});
