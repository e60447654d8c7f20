// virtio-blk requests the driver refuses before they reach the ring, and what each refusal says:
// writes to a read-only device, operations whose feature was not negotiated, sizes beyond the
// limits, and a ring with too few free descriptors.
import { describe, expect, it } from "vitest";
import { BlkReadOnlyError, BlkUnsupportedError } from "../../drivers/virtio/blk/errors";
import { VirtioUsageError } from "../../drivers/virtio/errors";
import { BlkFeature, BlkRequestType } from "../sim/virtio/blk-model";
import { simDisk } from "./blk-harness";
import { caught } from "../harness/caught";

describe("virtio-blk on a read-only device", () => {
  it("refuses a write, naming the request, and puts nothing on the ring", () => {
    const { blk, machine, model } = simDisk({ sectors: 64, readOnly: true });
    const buffer = machine.allocDma(1024);
    const error = caught(() => blk.submitWrite(8, buffer.physical, 1024));
    expect(error).toBeInstanceOf(BlkReadOnlyError);
    expect(error).toMatchObject({ failure: "read-only", code: "read-only", request: "write sector 8 (1024 bytes)" });
    expect((error as Error).message).toBe(`${blk.name}: read-only: write sector 8 (1024 bytes): device is read-only`);
    expect(model.requestCounts.get(BlkRequestType.Out)).toBeUndefined();
    expect(blk.inFlight).toBe(0);
  });

  it("refuses discard and write-zeroes, naming each", () => {
    const { blk, model } = simDisk({ sectors: 64, readOnly: true });
    expect(caught(() => blk.submitRange(BlkRequestType.Discard, 16, 8, 0))).toMatchObject({
      failure: "read-only",
      request: "discard sector 16 (8 sectors)",
    });
    expect(caught(() => blk.submitRange(BlkRequestType.WriteZeroes, 24, 4, 0))).toMatchObject({
      failure: "read-only",
      request: "write-zeroes sector 24 (4 sectors)",
    });
    expect(model.requestCounts.get(BlkRequestType.Discard)).toBeUndefined();
    expect(model.requestCounts.get(BlkRequestType.WriteZeroes)).toBeUndefined();
  });

  it("readOnlyError gives the error for a read-only device only", () => {
    expect(simDisk({ sectors: 64, readOnly: true }).blk.readOnlyError("x")).toMatchObject({ failure: "read-only", request: "x" });
    expect(simDisk({ sectors: 64 }).blk.readOnlyError("x")).toBeUndefined();
  });
});

describe("virtio-blk operations whose feature was not negotiated", () => {
  it("a flush without FLUSH is refused unsubmitted, saying which feature is missing", () => {
    const { blk, model } = simDisk({ sectors: 64, withhold: [BlkFeature.Flush] });
    const error = caught(() => blk.submitFlush());
    expect(error).toBeInstanceOf(BlkUnsupportedError);
    expect(error).toMatchObject({ failure: "unsupported", code: "unsupported", request: "flush", detail: "flush: FLUSH was not negotiated" });
    expect(model.requestCounts.get(BlkRequestType.Flush)).toBeUndefined();
  });

  it("a write-zeroes without WRITE_ZEROES likewise", () => {
    const { blk } = simDisk({ sectors: 64, withhold: [BlkFeature.WriteZeroes] });
    expect(caught(() => blk.submitRange(BlkRequestType.WriteZeroes, 0, 1, 0))).toMatchObject({
      failure: "unsupported",
      detail: "write-zeroes sector 0 (1 sectors): WRITE_ZEROES was not negotiated",
    });
  });
});

describe("virtio-blk request sizes", () => {
  it("a range beyond the device's limit is a usage error giving the limit", () => {
    const { blk } = simDisk({ sectors: 4096, maxWriteZeroesSectors: 32 });
    const error = caught(() => blk.submitRange(BlkRequestType.WriteZeroes, 0, 33, 0));
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ code: "request-size", detail: "write-zeroes sector 0 (33 sectors): more than 32 sectors" });
    expect(blk.submitRange(BlkRequestType.WriteZeroes, 0, 32, 0)).toBeGreaterThanOrEqual(0);
  });

  it("a data request that is not whole blocks is a usage error giving the largest transfer", () => {
    const { blk, machine } = simDisk({ sectors: 64 });
    const error = caught(() => blk.submitRead(0, machine.allocDma(1024).physical, 700));
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ code: "request-size", detail: `700 bytes is not a whole number of blocks up to ${blk.limits.maxTransferBytes}` });
  });
});

describe("virtio-blk with every request slot taken", () => {
  it("a discard or write-zeroes is refused with -1, like the other requests", () => {
    const { blk, model } = simDisk({ sectors: 64, queueSize: 4 });
    model.holdCompletions = true;
    for (let i = 0; i < 4; i++) expect(blk.submitFlush()).toBeGreaterThanOrEqual(0);
    expect(blk.submitRange(BlkRequestType.Discard, 0, 8, 0)).toBe(-1);
    expect(blk.submitRange(BlkRequestType.WriteZeroes, 0, 8, 0)).toBe(-1);
    expect(blk.inFlight).toBe(4);
  });
});

describe("virtio-blk canSubmit without indirect descriptors", () => {
  it("counts header, data segments and status against the ring's free descriptors", () => {
    const { blk, machine, model } = simDisk({ sectors: 64, indirect: false, queueSize: 4 });
    model.holdCompletions = true;
    const buffer = machine.allocDma(512);
    expect(blk.canSubmit(512)).toBe(true);
    // Header, one data segment and status: 3 of the 4 descriptors.
    expect(blk.submitRead(0, buffer.physical, 512)).toBeGreaterThanOrEqual(0);
    expect(blk.queue.freeCount).toBe(1);
    // A request slot is still free (one per ring entry): the descriptors are what is short.
    expect(blk.inFlight).toBe(1);
    expect(blk.canSubmit(512)).toBe(false);
    expect(blk.canSubmit(0)).toBe(false);
  });
});
