// What the virtio-blk driver puts on the ring for each request type (virtio 1.2 section 5.2.6), and
// how each completion is judged: the request named in every error, the status byte, the used
// length, sectors beyond 32 bits, and the request slots running out.
import { describe, expect, it } from "vitest";
import { BlkRangeFlag } from "../../drivers/virtio/blk/constants";
import { BlkDeviceError, BlkIoError, BlkUnsupportedError } from "../../drivers/virtio/blk/errors";
import type { VirtioError } from "../../drivers/virtio/errors";
import { assertNoViolations } from "../sim/violations";
import { BlkRequestType, BlkStatus, SECTOR_SIZE } from "../sim/virtio/blk-model";
import { simDisk } from "./blk-harness";

const DISCARD = BlkRequestType.Discard;
const WRITE_ZEROES = BlkRequestType.WriteZeroes;
const BEYOND_32_BITS = 2 ** 32 + 8;

type Rig = ReturnType<typeof simDisk>;

/** Submits with `submit` (which returns the slot), kicks, and waits for the completion's error. */
function completeOne(rig: Rig, submit: () => number): VirtioError | undefined {
  const { blk, machine } = rig;
  let done: { error: VirtioError | undefined } | undefined;
  const previous = blk.onComplete;
  blk.onComplete = (_slot, error) => (done = { error });
  try {
    expect(submit()).toBeGreaterThanOrEqual(0);
    blk.kick();
    for (let i = 0; i < 1000 && done === undefined; i++) {
      blk.complete();
      machine.waitForInterrupt(machine.monotonicNs() + 1000);
    }
  } finally {
    blk.onComplete = previous;
  }
  if (done === undefined) throw new Error("the request never completed");
  return done.error;
}

function dma(rig: Rig, bytes: number): number {
  return rig.machine.allocDma(bytes).physical;
}

describe("virtio-blk requests name themselves in errors", () => {
  it.each([
    ["read sector 8 (1024 bytes)", (r: Rig) => r.blk.submitRead(8, dma(r, 1024), 1024)],
    ["write sector 8 (1024 bytes)", (r: Rig) => r.blk.submitWrite(8, dma(r, 1024), 1024)],
    ["flush", (r: Rig) => r.blk.submitFlush()],
    ["discard sector 16 (8 sectors)", (r: Rig) => r.blk.submitRange(DISCARD, 16, 8, 0)],
    ["write-zeroes sector 16 (8 sectors)", (r: Rig) => r.blk.submitRange(WRITE_ZEROES, 16, 8, 0)],
  ] as const)("%s", (request, submit) => {
    const rig = simDisk({ sectors: 64 });
    rig.model.blkFaults.status = BlkStatus.IoErr;
    const error = completeOne(rig, () => submit(rig));
    expect(error).toBeInstanceOf(BlkIoError);
    expect(error?.message).toBe(`00:04.0: ioerr: ${request}: device reported an I/O error`);
    expect((error as BlkIoError).request).toBe(request);
  });

  it("GET_ID", () => {
    const rig = simDisk({ sectors: 64 });
    rig.model.blkFaults.status = BlkStatus.IoErr;
    expect(() => rig.blk.identify()).toThrow("00:04.0: ioerr: get-id: device reported an I/O error");
  });
});

describe("virtio-blk completions", () => {
  it("a request the device does not support", () => {
    const rig = simDisk({ sectors: 64 });
    rig.model.blkFaults.unsupported.add(BlkRequestType.Flush);
    const error = completeOne(rig, () => rig.blk.submitFlush());
    expect(error).toBeInstanceOf(BlkUnsupportedError);
    expect(error).toMatchObject({ code: "unsupported", detail: "flush: device reported the request unsupported" });
  });

  it("a status byte the specification does not define is a device error, counted", () => {
    const rig = simDisk({ sectors: 64 });
    rig.model.blkFaults.status = 9;
    const error = completeOne(rig, () => rig.blk.submitRead(0, dma(rig, 512), 512));
    expect(error).toBeInstanceOf(BlkDeviceError);
    expect(error).toMatchObject({ code: "status", detail: "read sector 0 (512 bytes): status byte 9" });
    expect(rig.blk.deviceErrors).toBe(1);
  });

  it("a read whose used length misses a byte is not trusted", () => {
    const rig = simDisk({ sectors: 64 });
    rig.model.faults.usedLengthExtra = -1;
    const error = completeOne(rig, () => rig.blk.submitRead(0, dma(rig, 512), 512));
    expect(error).toMatchObject({ code: "used-len", detail: "read sector 0 (512 bytes): used length 512, expected 513" });
    expect(rig.blk.deviceErrors).toBe(1);
  });

  it("a write answered with used length 0 is not trusted", () => {
    const rig = simDisk({ sectors: 64 });
    rig.model.faults.usedLengthExtra = -1;
    const error = completeOne(rig, () => rig.blk.submitWrite(0, dma(rig, 512), 512));
    expect(error).toMatchObject({ code: "used-len", detail: "write sector 0 (512 bytes): used length 0, expected 1" });
  });

  it("a used length of 0 is not trusted, whatever the status byte says", () => {
    const rig = simDisk({ sectors: 64 });
    rig.model.blkFaults.status = BlkStatus.IoErr;
    rig.model.faults.usedLengthExtra = -1;
    const error = completeOne(rig, () => rig.blk.submitWrite(0, dma(rig, 512), 512));
    expect(error).toBeInstanceOf(BlkDeviceError);
    expect(error).toMatchObject({ code: "used-len", detail: "write sector 0 (512 bytes): used length 0, expected 1" });
  });

  it("a used length beyond the buffers is clamped and counted by the ring, and the status decides (as Linux does)", () => {
    const rig = simDisk({ sectors: 64 });
    rig.model.faults.usedLengthExtra = 1;
    const error = completeOne(rig, () => rig.blk.submitFlush());
    expect(error).toBeUndefined();
    expect(rig.blk.queue.lengthClamps).toBe(1);
  });

  it("a good read lands in the buffer and reports no error", () => {
    const rig = simDisk({ sectors: 64 });
    rig.model.disk.fill(0x5a, 3 * SECTOR_SIZE, 4 * SECTOR_SIZE);
    const buffer = rig.machine.allocDma(SECTOR_SIZE);
    expect(completeOne(rig, () => rig.blk.submitRead(3, buffer.physical, SECTOR_SIZE))).toBeUndefined();
    expect(new Uint8Array(buffer.buffer, 0, SECTOR_SIZE).every((b) => b === 0x5a)).toBe(true);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-blk sectors beyond 32 bits", () => {
  it.each([
    ["read", (r: Rig) => r.blk.submitRead(BEYOND_32_BITS, dma(r, 512), 512)],
    ["write", (r: Rig) => r.blk.submitWrite(BEYOND_32_BITS, dma(r, 512), 512)],
    ["discard", (r: Rig) => r.blk.submitRange(DISCARD, BEYOND_32_BITS, 8, 0)],
  ] as const)("a %s reaches the device with all 64 bits of its sector (beyond this small disk)", (_, submit) => {
    // Were the high half lost, sector 8 would be addressed and the request would succeed.
    const rig = simDisk({ sectors: 64 });
    const error = completeOne(rig, () => submit(rig));
    expect(error).toBeInstanceOf(BlkIoError);
    expect((error as BlkIoError).request).toContain(`sector ${BEYOND_32_BITS} `);
  });
});

describe("virtio-blk request layout as the device reads it", () => {
  /** Submits with the device holding the request, and returns the bytes it would read. */
  function readByDevice(rig: Rig, submit: () => number): DataView {
    rig.model.holdCompletions = true;
    expect(submit()).toBeGreaterThanOrEqual(0);
    rig.blk.kick();
    const held = rig.model.queue(0)?.held ?? [];
    expect(held).toHaveLength(1);
    const bytes = held[0].read();
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  it("a read header: le32 type, le32 reserved 0, le64 sector (beyond 32 bits too)", () => {
    const rig = simDisk({ sectors: 64 });
    const view = readByDevice(rig, () => rig.blk.submitRead(BEYOND_32_BITS, dma(rig, 512), 512));
    expect(view.byteLength).toBe(16);
    expect(view.getUint32(0, true)).toBe(BlkRequestType.In);
    expect(view.getUint32(4, true)).toBe(0);
    expect(view.getBigUint64(8, true)).toBe(BigInt(BEYOND_32_BITS));
  });

  it("a write-zeroes segment: le64 sector, le32 sectors, le32 flags (UNMAP)", () => {
    const rig = simDisk({ sectors: 64 });
    const view = readByDevice(rig, () => rig.blk.submitRange(WRITE_ZEROES, BEYOND_32_BITS, 8, BlkRangeFlag.Unmap));
    expect(view.byteLength).toBe(32);
    expect(view.getUint32(0, true)).toBe(WRITE_ZEROES);
    expect(view.getBigUint64(16, true)).toBe(BigInt(BEYOND_32_BITS));
    expect(view.getUint32(24, true)).toBe(8);
    expect(view.getUint32(28, true)).toBe(1);
  });
});

describe("virtio-blk request slots", () => {
  it("one slot per ring entry: the next request is refused (-1) until one completes", () => {
    const rig = simDisk({ sectors: 64, queueSize: 4 });
    const { blk, model } = rig;
    model.holdCompletions = true;
    const slots = [0, 1, 2, 3].map(() => blk.submitFlush());
    expect(new Set(slots).size).toBe(4);
    expect(slots.every((s) => s >= 0 && s < 4)).toBe(true);
    expect(blk.canSubmit(512)).toBe(false);
    expect(blk.submitFlush()).toBe(-1);
    expect(blk.inFlight).toBe(4);
    blk.kick();
    const completed: number[] = [];
    blk.onComplete = (slot, error) => {
      expect(error).toBeUndefined();
      completed.push(slot);
    };
    model.holdCompletions = false;
    model.releaseHeld(0);
    expect(blk.complete()).toBe(4);
    expect(completed.sort()).toEqual([...slots].sort());
    expect(blk.canSubmit(512)).toBe(true);
    expect(blk.submitFlush()).toBeGreaterThanOrEqual(0);
    assertNoViolations(rig.machine.violations);
  });
});
