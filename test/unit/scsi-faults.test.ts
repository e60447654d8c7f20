// A SCSI target that misbehaves: unit attention, BUSY, unusable sense data, residuals, commands
// it never answers. Every failure stays with its unit and comes out as a typed block error.
import { describe, expect, it } from "vitest";
import { isBlockError } from "../../drivers/block-driver";
import { ScsiDeviceError, ScsiSenseError } from "../../drivers/virtio/scsi/errors";
import { MAX_COMMAND_RETRIES } from "../../drivers/virtio/scsi/lun";
import { BlockOfflineError, BlockTimeoutError } from "../../runtime/block/errors";
import { ManualScheduler } from "../net/manual-scheduler";
import { assertNoViolations } from "../sim/violations";
import { ASC, OPCODE, SENSE_KEY } from "../sim/scsi-target";
import { VIRTIO_SCSI_S } from "../sim/virtio/spec/scsi";
import { pattern, run, settle } from "./blk-harness";
import { scsiRig, type ScsiRigOptions } from "./scsi-harness";
import type { EventLoop } from "../../kernel/event-loop";

const BLOCK = 512;

function oneDisk(options: Partial<ScsiRigOptions> = {}) {
  const rig = scsiRig({ units: [[0, 0, { blocks: 256 }]], ...options });
  const unit = rig.scsi.units[0];
  return { ...rig, unit, disk: rig.disk(unit), lu: rig.model.unit(0, 0)! };
}

async function failure(loop: EventLoop, promise: Promise<unknown>): Promise<unknown> {
  const [result] = await settle(loop, [promise]);
  expect(result.status).toBe("rejected");
  return (result as PromiseRejectedResult).reason;
}

describe("virtio-scsi: unit attention and BUSY", () => {
  it("sends a command again after UNIT ATTENTION, and reads the capacity again when it changed", async () => {
    const { disk, loop, lu, unit, machine } = oneDisk();
    lu.resize(512);
    await run(loop, disk.write(0, pattern(BLOCK, 1)));
    expect(unit.retries).toBe(1);
    expect(disk.info.blocks).toBe(512);
    assertNoViolations(machine.violations);
  });

  it("gives up after a bounded number of unit attentions", async () => {
    const { disk, loop, lu } = oneDisk();
    for (let i = 0; i <= MAX_COMMAND_RETRIES; i++) lu.unitAttentions.push(ASC.POWER_ON_RESET);
    const error = await failure(loop, disk.read(0, new Uint8Array(BLOCK)));
    expect(error).toBeInstanceOf(ScsiSenseError);
    expect((error as ScsiSenseError).sense.key).toBe(6);
    expect(isBlockError(error, "io")).toBe(true);
  });

  it("retries BUSY a bounded number of times", async () => {
    const { disk, loop, model, unit } = oneDisk();
    model.scsiFaults.busy.set(OPCODE.READ_10, 2);
    await run(loop, disk.read(0, new Uint8Array(BLOCK)));
    expect(unit.retries).toBe(2);
    model.scsiFaults.busy.set(OPCODE.READ_10, 100);
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({ code: "status", failure: "io", status: 8, detail: "Read10 lba 0 x1: SCSI status 0x8" });
  });
});

describe("virtio-scsi: sense data and responses the device gets wrong", () => {
  it("maps sense keys to block failures: medium error (descriptor format), data protect, illegal request", async () => {
    const rig = scsiRig({ units: [[0, 0, { blocks: 64, descriptorSense: true }]] });
    const disk = rig.disk(rig.scsi.units[0]);
    rig.model.unit(0, 0)!.badBlocks.add(5);
    const medium = await failure(rig.loop, disk.read(4, new Uint8Array(2 * BLOCK)));
    expect(medium).toMatchObject({ failure: "io", detail: expect.stringMatching(/Read10 lba 4 x2: medium-error 11\/00/) });
    // The unit said it was writable in MODE SENSE, then refuses: DATA PROTECT is a read-only failure.
    rig.model.unit(0, 0)!.readOnly = true;
    expect(await failure(rig.loop, disk.write(0, pattern(BLOCK, 1)))).toMatchObject({ failure: "read-only" });
    expect(await failure(rig.loop, disk.read(64, new Uint8Array(BLOCK)))).toBeDefined();
  });

  it("does not trust sense data of no known format, or a sense_len beyond sense_size", async () => {
    const { disk, loop, model, unit } = oneDisk();
    model.scsiFaults.badSense.add(OPCODE.READ_10);
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({ code: "sense", failure: "device" });
    model.scsiFaults.badSense.clear();
    model.scsiFaults.oversizeSense.add(OPCODE.WRITE_10);
    const error = await failure(loop, disk.write(0, pattern(BLOCK, 1)));
    expect(error).toBeInstanceOf(ScsiDeviceError);
    expect((error as Error).message).toMatch(/sense_len 97 is larger than sense_size 96/);
    expect(unit.deviceErrors).toBe(2);
  });

  it("refuses a GOOD read with a residual (a short transfer) and a residual beyond the transfer", async () => {
    const { disk, loop, model } = oneDisk();
    model.scsiFaults.residual.set(OPCODE.READ_10, 512);
    expect(await failure(loop, disk.read(0, new Uint8Array(2 * BLOCK)))).toMatchObject({ code: "residual", failure: "device" });
    model.scsiFaults.residual.set(OPCODE.READ_10, 4096);
    expect(await failure(loop, disk.read(0, new Uint8Array(2 * BLOCK)))).toMatchObject({
      code: "response",
      detail: expect.stringMatching(/residual 4096 is larger than the 1024-byte transfer/),
    });
  });

  it("maps ILLEGAL REQUEST to an unsupported failure and ABORTED COMMAND to a timeout", async () => {
    const { disk, loop, lu } = oneDisk();
    lu.checks.push([SENSE_KEY.ILLEGAL_REQUEST, ASC.INVALID_FIELD_IN_CDB]);
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({ code: "check-condition", failure: "unsupported" });
    lu.checks.push([SENSE_KEY.ABORTED_COMMAND, ASC.NO_ADDITIONAL_SENSE]);
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({ code: "check-condition", failure: "timeout" });
  });

  it.each([
    [VIRTIO_SCSI_S.ABORTED, "aborted", "timeout"],
    [VIRTIO_SCSI_S.RESET, "reset", "timeout"],
    [VIRTIO_SCSI_S.BAD_TARGET, "bad-target", "offline"],
    [VIRTIO_SCSI_S.TRANSPORT_FAILURE, "transport-failure", "io"],
    // A response code virtio 1.2 does not define is named by its number.
    [13, "response-13", "io"],
  ] as const)("turns virtio-scsi response %d into a %s transport error with a %s failure", async (response, code, kind) => {
    const { disk, loop, model } = oneDisk();
    model.scsiFaults.response = response;
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({ code, failure: kind, response: code, detail: `Read10 lba 0 x1: virtio-scsi response ${code}` });
  });

  it("fails a command with a status other than GOOD, CHECK CONDITION or BUSY at once (RESERVATION CONFLICT)", async () => {
    const { disk, loop, model, unit } = oneDisk();
    model.scsiFaults.status.set(OPCODE.READ_10, 0x18);
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({ code: "status", failure: "io", status: 0x18 });
    expect(unit.retries).toBe(0);
  });

  it("sends a command again while the virtio-scsi response is BUSY, within the retry bound", async () => {
    const { disk, loop, model, unit } = oneDisk();
    model.scsiFaults.response = VIRTIO_SCSI_S.BUSY;
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({ failure: "io" });
    expect(unit.retries).toBe(MAX_COMMAND_RETRIES);
  });

  it("refuses a completion whose used length does not cover the response header, or the bytes a GOOD read says it read", async () => {
    const { disk, loop, model, unit } = oneDisk();
    model.scsiFaults.usedLength.set(OPCODE.WRITE_10, 11);
    expect(await failure(loop, disk.write(0, pattern(BLOCK, 1)))).toMatchObject({
      code: "response",
      failure: "device",
      detail: expect.stringMatching(/used length 11 is shorter than the response header/),
    });
    // A write's completion needs only the response header.
    model.scsiFaults.usedLength.set(OPCODE.WRITE_10, 12);
    await run(loop, disk.write(0, pattern(BLOCK, 1)));
    const responseBytes = 12 + 96;
    model.scsiFaults.usedLength.set(OPCODE.READ_10, responseBytes + BLOCK - 1);
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({
      code: "response",
      detail: expect.stringMatching(/used length 619 does not cover the 512 bytes read/),
    });
    // With a residual, the used length needs to cover only what was read.
    model.scsiFaults.residual.set(OPCODE.READ_10, BLOCK);
    model.scsiFaults.usedLength.set(OPCODE.READ_10, responseBytes + BLOCK - 1);
    expect(await failure(loop, disk.read(0, new Uint8Array(2 * BLOCK)))).toMatchObject({
      code: "response",
      detail: expect.stringMatching(/used length 619 does not cover the 512 bytes read/),
    });
    model.scsiFaults.residual.clear();
    model.scsiFaults.usedLength.set(OPCODE.READ_10, responseBytes + BLOCK);
    expect(await run(loop, disk.read(0, new Uint8Array(BLOCK)))).toEqual(pattern(BLOCK, 1));
    expect(unit.deviceErrors).toBe(3);
  });

  it("refuses a completion whose response byte the device never wrote", async () => {
    const { disk, loop, model } = oneDisk();
    model.scsiFaults.unwritten.add(OPCODE.READ_10);
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({
      code: "response",
      failure: "device",
      detail: expect.stringMatching(/response byte left unwritten/),
    });
  });

  it("takes sense data that fills sense_size exactly", async () => {
    const { disk, loop, model } = oneDisk();
    model.scsiFaults.fullSense.add(OPCODE.READ_10);
    const error = await failure(loop, disk.read(0, new Uint8Array(BLOCK)));
    expect(error).toBeInstanceOf(ScsiSenseError);
    expect(error).toMatchObject({ code: "check-condition", failure: "io", sense: { key: 3, asc: 0x11, ascq: 0 } });
  });

  it("reports a write's residual as a short transfer, measured against what was written", async () => {
    const { disk, loop, model } = oneDisk();
    model.scsiFaults.residual.set(OPCODE.WRITE_10, BLOCK);
    expect(await failure(loop, disk.write(0, pattern(2 * BLOCK, 1)))).toMatchObject({ code: "residual", failure: "device" });
  });

  it("turns a virtio-scsi response other than OK into a transport error", async () => {
    const { disk, loop, model } = oneDisk();
    model.scsiFaults.response = 9;
    expect(await failure(loop, disk.read(0, new Uint8Array(BLOCK)))).toMatchObject({ code: "failure", failure: "io" });
  });

  it("refuses writes to a write-protected unit before they reach the device", async () => {
    const rig = scsiRig({ units: [[0, 0, { blocks: 64, readOnly: true }]] });
    const disk = rig.disk(rig.scsi.units[0]);
    expect(await failure(rig.loop, disk.write(0, pattern(BLOCK, 1)))).toMatchObject({ failure: "read-only" });
    expect(rig.model.unit(0, 0)!.counts.get(OPCODE.WRITE_10)).toBeUndefined();
  });
});

describe("virtio-scsi: commands the device never answers", () => {
  const TIMEOUT_MS = 1_000;

  async function untilSettled(loop: EventLoop, clock: ManualScheduler, promise: Promise<unknown>): Promise<PromiseSettledResult<unknown>> {
    let outcome: PromiseSettledResult<unknown> | undefined;
    promise.then(
      (value) => (outcome = { status: "fulfilled", value }),
      (reason: unknown) => (outcome = { status: "rejected", reason }),
    );
    for (let step = 0; outcome === undefined && step < 100; step++) {
      for (let i = 0; i < 20; i++) {
        loop.tick();
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (outcome === undefined) await clock.advance(50);
    }
    if (outcome === undefined) throw new Error("never settled");
    return outcome;
  }

  function timed(prepare?: ScsiRigOptions["prepare"]) {
    const clock = new ManualScheduler();
    return { clock, ...oneDisk({ device: { scheduler: clock, requestTimeoutMs: TIMEOUT_MS }, prepare }) };
  }

  it("aborts a lost command with ABORT TASK at its deadline; the unit goes on serving", async () => {
    const { disk, loop, clock, model, unit, machine } = timed();
    model.scsiFaults.lose.set(OPCODE.WRITE_10, 1);
    const lost = await untilSettled(loop, clock, disk.write(2, pattern(BLOCK, 1)));
    expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(BlockTimeoutError);
    expect(model.tmfs).toEqual([0]);
    expect(model.lostCommands).toBe(0);
    expect(unit.resets).toBe(1);
    expect(disk.offline).toBeUndefined();
    await untilSettled(loop, clock, disk.write(2, pattern(BLOCK, 2)));
    expect(await run(loop, disk.read(2, new Uint8Array(BLOCK)))).toEqual(pattern(BLOCK, 2));
    assertNoViolations(machine.violations);
  });

  it("resets the logical unit when ABORT TASK brings nothing back, then retries past the reset's unit attention", async () => {
    const { disk, loop, clock, model, unit } = timed();
    model.scsiFaults.lose.set(OPCODE.READ_10, 1);
    model.scsiFaults.ignoreAbort = true;
    const lost = await untilSettled(loop, clock, disk.read(2, new Uint8Array(BLOCK)));
    expect(lost.status).toBe("rejected");
    expect(model.tmfs).toEqual([0, 5]);
    await untilSettled(loop, clock, disk.read(2, new Uint8Array(BLOCK)));
    expect(unit.retries).toBe(1);
  });

  it("gives the unit up when task management gets no answer either", async () => {
    const { disk, loop, clock, model } = timed();
    model.scsiFaults.lose.set(OPCODE.READ_10, 1);
    model.scsiFaults.loseTmf = true;
    await untilSettled(loop, clock, disk.read(2, new Uint8Array(BLOCK)));
    expect(disk.offline).toBeInstanceOf(BlockOfflineError);
  });
});
