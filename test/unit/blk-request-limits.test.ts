// How large a virtio-blk request may be, from size_max, seg_max, the block size, the ring and the
// discard / write-zeroes limits (virtio 1.2 section 5.2.4), and how a data request is split into
// segments accordingly.
import { describe, expect, it } from "vitest";
import { VirtioConfigError, VirtioUsageError } from "../../drivers/virtio/errors";
import { assertNoViolations } from "../sim/violations";
import { BlkFeature, BlkRequestType, type BlkModel, type BlkOptions } from "../sim/virtio/blk-model";
import { virtio_blk_config } from "../sim/virtio/spec/blk";
import { simDisk } from "./blk-harness";

/** The driver's own cap on one request's data. */
const DRIVER_MAX_TRANSFER = 4 * 1024 * 1024;
const DISCARD = BlkRequestType.Discard;
const WRITE_ZEROES = BlkRequestType.WriteZeroes;

function disk(options: Partial<BlkOptions> & { spoil?: (view: DataView) => void } = {}) {
  const { spoil, ...rest } = options;
  const prepare = (m: BlkModel) => spoil?.(new DataView(m.config.buffer, m.config.byteOffset));
  return simDisk({ sectors: 16384, ...rest, prepare });
}

/** Reads `bytes` at sector 0 straight through the driver; returns the completion error (if any). */
function readThrough(rig: ReturnType<typeof disk>, bytes: number): unknown {
  const { blk, machine } = rig;
  const buffer = machine.allocDma(bytes);
  let done: { error: unknown } | undefined;
  const previous = blk.onComplete;
  blk.onComplete = (_slot, error) => (done = { error });
  try {
    expect(blk.submitRead(0, buffer.physical, bytes)).toBeGreaterThanOrEqual(0);
    blk.kick();
    for (let i = 0; i < 1000 && done === undefined; i++) {
      blk.complete();
      machine.waitForInterrupt(machine.monotonicNs() + 1000);
    }
  } finally {
    blk.onComplete = previous;
  }
  expect(done).toBeDefined();
  return done?.error;
}

describe("virtio-blk data request limits", () => {
  it("size_max sets the segment (a whole number of blocks), seg_max and the driver's cap the rest", () => {
    const rig = disk({ sizeMax: 3000, segMax: 4 });
    expect(rig.blk.limits).toMatchObject({ segmentBytes: 2560, maxSegments: 4, maxTransferBytes: 4 * 2560 });
    expect(readThrough(rig, 4 * 2560)).toBeUndefined();
    expect(rig.model.maxSegmentsSeen).toBe(4);
    assertNoViolations(rig.machine.violations);
  });

  it("splits a request into full segments and a shorter last one", () => {
    const rig = disk({ sizeMax: 4096, segMax: 8 });
    expect(readThrough(rig, 4096 * 2 + 512)).toBeUndefined();
    expect(rig.model.maxSegmentsSeen).toBe(3);
    assertNoViolations(rig.machine.violations);
  });

  it("the largest request is accepted, one block more is refused before it reaches the ring", () => {
    const rig = disk({ sizeMax: 4096, segMax: 2 });
    const { blk, machine } = rig;
    expect(blk.limits.maxTransferBytes).toBe(8192);
    expect(readThrough(rig, 8192)).toBeUndefined();
    const buffer = machine.allocDma(8192 + 512);
    expect(() => blk.submitRead(0, buffer.physical, 8192 + 512)).toThrow(VirtioUsageError);
    expect(() => blk.submitRead(0, buffer.physical, 0)).toThrow(/0 bytes is not a whole number of blocks up to 8192/);
    expect(() => blk.submitRead(0, buffer.physical, 700)).toThrow(VirtioUsageError);
    expect(blk.inFlight).toBe(0);
  });

  it("without SIZE_MAX a segment may be as large as the driver's cap", () => {
    const { blk } = disk({ withhold: [BlkFeature.SizeMax], segMax: 3 });
    expect(blk.limits).toMatchObject({ segmentBytes: DRIVER_MAX_TRANSFER, maxSegments: 1, maxTransferBytes: DRIVER_MAX_TRANSFER });
  });

  it("without SEG_MAX one segment per request is all that is safe", () => {
    const { blk } = disk({ sizeMax: 8192, withhold: [BlkFeature.SegMax] });
    expect(blk.limits).toMatchObject({ segmentBytes: 8192, maxSegments: 1, maxTransferBytes: 8192 });
  });

  it("the driver's cap bounds a transfer whatever the device allows", () => {
    const { blk } = disk({ sizeMax: 1024 * 1024, segMax: 64 });
    expect(blk.limits).toMatchObject({ segmentBytes: 1024 * 1024, maxSegments: 4, maxTransferBytes: DRIVER_MAX_TRANSFER });
  });

  it("without indirect descriptors the ring's size bounds the segments (two go to header and status)", () => {
    const { blk } = disk({ indirect: false, queueSize: 8, sizeMax: 4096, segMax: 100 });
    expect(blk.limits).toMatchObject({ maxSegments: 6, maxTransferBytes: 6 * 4096 });
  });

  it("a ring too short for header, one segment and status makes the device unusable", () => {
    const { probe } = disk({ indirect: false, queueSize: 2 });
    expect(probe.devices[0].state).toBe("failed");
    expect(probe.devices[0].error).toBeInstanceOf(VirtioConfigError);
    expect(probe.devices[0].error).toMatchObject({ code: "queue-size", detail: "chains of 2 descriptors cannot carry a request" });
  });
});

describe("virtio-blk discard and write-zeroes limits", () => {
  it("take the device's maxima, aligned down to the discard alignment and to whole blocks", () => {
    const { blk } = disk({
      blkSize: 4096,
      spoil: (v) => {
        v.setUint32(virtio_blk_config.max_discard_sectors.offset, 100, true);
        v.setUint32(virtio_blk_config.discard_sector_alignment.offset, 64, true);
        v.setUint32(virtio_blk_config.max_write_zeroes_sectors.offset, 100, true);
      },
    });
    expect(blk.limits.maxDiscardSectors).toBe(64);
    expect(blk.limits.maxWriteZeroesSectors).toBe(96);
    // In the block layer's units: 4096-byte blocks of 8 sectors each.
    expect(blk.limits.maxDiscardBlocks).toBe(8);
    expect(blk.limits.maxWriteZeroesBlocks).toBe(12);
  });

  it("an alignment larger than the maximum leaves the maximum (in whole blocks)", () => {
    const { blk } = disk({
      blkSize: 4096,
      spoil: (v) => {
        v.setUint32(virtio_blk_config.max_discard_sectors.offset, 100, true);
        v.setUint32(virtio_blk_config.discard_sector_alignment.offset, 128, true);
      },
    });
    expect(blk.limits.maxDiscardSectors).toBe(96);
  });

  it("are 0 when the feature is not negotiated, and such requests are refused", () => {
    const { blk } = disk({ withhold: [BlkFeature.Discard, BlkFeature.WriteZeroes] });
    expect(blk.limits).toMatchObject({ maxDiscardSectors: 0, maxWriteZeroesSectors: 0 });
    expect(() => blk.submitRange(DISCARD, 0, 8, 0)).toThrow(/DISCARD was not negotiated/);
    expect(() => blk.submitRange(WRITE_ZEROES, 0, 8, 0)).toThrow(/WRITE_ZEROES was not negotiated/);
  });

  it("requests up to the limit are accepted, larger or empty ones refused", () => {
    const { blk } = disk({ spoil: (v) => v.setUint32(virtio_blk_config.max_discard_sectors.offset, 16, true) });
    expect(blk.limits.maxDiscardSectors).toBe(16);
    expect(blk.submitRange(DISCARD, 0, 16, 0)).toBeGreaterThanOrEqual(0);
    expect(() => blk.submitRange(DISCARD, 0, 17, 0)).toThrow(/discard sector 0 \(17 sectors\): more than 16 sectors/);
    expect(() => blk.submitRange(DISCARD, 0, 0, 0)).toThrow(VirtioUsageError);
  });

  it.each([
    ["max_discard_sectors", virtio_blk_config.max_discard_sectors.offset],
    ["max_write_zeroes_sectors", virtio_blk_config.max_write_zeroes_sectors.offset],
  ] as const)("a %s smaller than one block makes the device unusable", (field, offset) => {
    const { probe } = disk({ blkSize: 4096, spoil: (v) => v.setUint32(offset, 4, true) });
    expect(probe.devices[0].state).toBe("failed");
    expect(probe.devices[0].error).toMatchObject({ code: field, detail: "4 sectors is less than a block" });
  });
});
