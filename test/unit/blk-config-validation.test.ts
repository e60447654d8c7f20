// virtio-blk device configuration (virtio 1.2 section 5.2.4): the values the driver accepts at
// their limits, the ones it refuses (and what it says), and the defaults of fields whose feature
// was not negotiated.
import { describe, expect, it } from "vitest";
import { VirtioConfigError } from "../../drivers/virtio/errors";
import { BlkFeature, type BlkModel, type BlkOptions } from "../sim/virtio/blk-model";
import { virtio_blk_config } from "../sim/virtio/spec/blk";
import { simDisk } from "./blk-harness";

/** The largest capacity (in 512-byte sectors) whose byte count is still an exact JavaScript number. */
const MAX_SAFE_SECTORS = Math.floor(Number.MAX_SAFE_INTEGER / 512);

function disk(options: Partial<BlkOptions> & { spoil?: (view: DataView) => void } = {}) {
  const { spoil, ...rest } = options;
  const prepare = (m: BlkModel) => spoil?.(new DataView(m.config.buffer, m.config.byteOffset));
  return simDisk({ sectors: 64, ...rest, prepare });
}

function refused(options: Parameters<typeof disk>[0]): VirtioConfigError {
  const { probe } = disk(options);
  const [probed] = probe.devices;
  expect(probed.state).toBe("failed");
  expect(probed.error).toBeInstanceOf(VirtioConfigError);
  return probed.error as VirtioConfigError;
}

describe("virtio-blk configuration: limits", () => {
  it("accepts the largest capacity it can address and refuses one sector more", () => {
    const { blk } = disk({ spoil: (v) => v.setBigUint64(virtio_blk_config.capacity.offset, BigInt(MAX_SAFE_SECTORS), true) });
    expect(blk.geometry.capacitySectors).toBe(MAX_SAFE_SECTORS);
    const error = refused({ spoil: (v) => v.setBigUint64(virtio_blk_config.capacity.offset, BigInt(MAX_SAFE_SECTORS) + 1n, true) });
    expect(error.code).toBe("capacity");
    expect(error.detail).toBe(`${MAX_SAFE_SECTORS + 1} sectors is beyond what the driver can address`);
  });

  it.each([512, 4096, 65536])("accepts a block size of %i", (blkSize) => {
    // Enough sectors that the discard and write-zeroes limits (the capacity) hold a whole block.
    expect(disk({ blkSize, sectors: 1024 }).blk.geometry.blockSize).toBe(blkSize);
  });

  it.each([1536, 256, 131072, 0])("refuses a block size of %i", (blkSize) => {
    const error = refused({ blkSize });
    expect(error.code).toBe("blk_size");
    expect(error.detail).toBe(`${blkSize} is not a power of two in 512..65536`);
  });

  it("accepts physical_block_exp 16 and refuses 17", () => {
    expect(disk({ topology: true, spoil: (v) => v.setUint8(virtio_blk_config["topology.physical_block_exp"].offset, 16) }).blk.geometry.physicalBlockSize).toBe(512 * 65536);
    const error = refused({ topology: true, spoil: (v) => v.setUint8(virtio_blk_config["topology.physical_block_exp"].offset, 17) });
    expect(error.code).toBe("physical_block_exp");
    expect(error.detail).toBe("17 is too large");
  });

  it("refuses a size_max below the block size", () => {
    const error = refused({ blkSize: 4096, sizeMax: 2048 });
    expect(error).toMatchObject({ code: "size_max", detail: "2048 is smaller than a block (4096)" });
    expect(disk({ blkSize: 4096, sizeMax: 4096 }).blk.geometry.sizeMax).toBe(4096);
  });

  it("refuses a seg_max of 0", () => {
    expect(refused({ segMax: 0 })).toMatchObject({ code: "seg_max", detail: "0 segments per request" });
    expect(disk({ segMax: 1 }).blk.geometry.segMax).toBe(1);
  });

  it("refuses num_queues 0 when MQ is negotiated", () => {
    const error = refused({ numQueues: 1, spoil: (v) => v.setUint16(virtio_blk_config.num_queues.offset, 0, true) });
    expect(error).toMatchObject({ code: "num_queues", detail: "0 queues" });
  });

  it.each([
    ["writeback", virtio_blk_config.writeback.offset, { writeback: false }],
    ["write_zeroes_may_unmap", virtio_blk_config.write_zeroes_may_unmap.offset, {}],
  ] as const)("refuses %s values other than 0 and 1", (field, offset, options) => {
    const error = refused({ ...options, spoil: (v) => v.setUint8(offset, 2) });
    expect(error).toMatchObject({ code: field, detail: "value 2 is neither 0 nor 1" });
  });

  it.each([
    ["max_discard", virtio_blk_config.max_discard_seg.offset, "sectors 64, segments 0"],
    ["max_discard", virtio_blk_config.max_discard_sectors.offset, "sectors 0, segments 1"],
    ["max_write_zeroes", virtio_blk_config.max_write_zeroes_seg.offset, "sectors 64, segments 0"],
    ["max_write_zeroes", virtio_blk_config.max_write_zeroes_sectors.offset, "sectors 0, segments 1"],
  ] as const)("refuses a zero %s field", (field, offset, detail) => {
    const error = refused({ spoil: (v) => v.setUint32(offset, 0, true) });
    expect(error).toMatchObject({ code: field, detail });
  });
});

describe("virtio-blk configuration: fields whose feature was not negotiated", () => {
  it("hold their defaults, whatever the device's config space says", () => {
    const { blk, probe } = disk({
      withhold: [BlkFeature.SizeMax, BlkFeature.SegMax, BlkFeature.BlkSize, BlkFeature.Discard, BlkFeature.WriteZeroes],
      spoil: (v) => {
        v.setUint32(virtio_blk_config.blk_size.offset, 4096, true);
        v.setUint8(virtio_blk_config.writeback.offset, 1);
        v.setUint16(virtio_blk_config.num_queues.offset, 4, true);
      },
    });
    expect(probe.devices[0].state).toBe("ready");
    expect(blk.geometry).toMatchObject({
      sizeMax: 0,
      segMax: 0,
      blockSize: 512,
      physicalBlockSize: 512,
      alignmentOffset: 0,
      minIoSize: 0,
      optIoSize: 0,
      writeback: undefined,
      numQueues: 1,
      discard: undefined,
      writeZeroes: undefined,
    });
  });

  it("writeback follows the device when CONFIG_WCE is negotiated", () => {
    expect(disk({ writeback: true }).blk.geometry.writeback).toBe(true);
    expect(disk({ writeback: false }).blk.geometry.writeback).toBe(false);
  });

  it("discard and write-zeroes limits come from the config; an alignment of 0 means 1", () => {
    const { blk } = disk({
      spoil: (v) => {
        v.setUint32(virtio_blk_config.max_discard_sectors.offset, 32, true);
        v.setUint32(virtio_blk_config.max_discard_seg.offset, 3, true);
        v.setUint32(virtio_blk_config.discard_sector_alignment.offset, 0, true);
        v.setUint32(virtio_blk_config.max_write_zeroes_sectors.offset, 16, true);
        v.setUint32(virtio_blk_config.max_write_zeroes_seg.offset, 2, true);
        v.setUint8(virtio_blk_config.write_zeroes_may_unmap.offset, 0);
      },
    });
    expect(blk.geometry.discard).toEqual({ maxSectors: 32, maxSegments: 3, alignmentSectors: 1 });
    expect(blk.geometry.writeZeroes).toEqual({ maxSectors: 16, maxSegments: 2, mayUnmap: false });
    expect(disk({ spoil: (v) => v.setUint8(virtio_blk_config.write_zeroes_may_unmap.offset, 1) }).blk.geometry.writeZeroes?.mayUnmap).toBe(true);
  });
});
