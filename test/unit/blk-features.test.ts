// The virtio-blk features the driver takes (virtio 1.2 section 5.2.3) and the names it reports for
// them, in bit order.
import { describe, expect, it } from "vitest";
import { FeatureBit } from "../../drivers/virtio/features";
import { BlkFeature } from "../sim/virtio/blk-model";
import { simDisk } from "./blk-harness";

describe("virtio-blk features", () => {
  it("a read-only disk reports RO in its place among the others", () => {
    const { disk, blk } = simDisk({ sectors: 64, readOnly: true });
    expect(disk.info.readOnly).toBe(true);
    expect(blk.readOnly).toBe(true);
    expect(disk.info.features).toEqual(["size-max", "seg-max", "ro", "blk-size", "flush", "discard", "write-zeroes", "indirect-desc", "event-idx", "version-1"]);
  });

  it("only what the device offers is negotiated and named", () => {
    const { disk } = simDisk({
      sectors: 64,
      withhold: [BlkFeature.SizeMax, BlkFeature.SegMax, BlkFeature.BlkSize, BlkFeature.Flush, BlkFeature.Discard, BlkFeature.WriteZeroes],
      eventIdx: false,
      indirect: false,
    });
    expect(disk.info.features).toEqual(["version-1"]);
  });

  it("a legacy device names no VERSION_1", () => {
    const { disk, blk } = simDisk({ sectors: 64, layout: "legacy", topology: true, writeback: false, numQueues: 2 });
    expect(disk.info.features).toEqual(["size-max", "seg-max", "blk-size", "flush", "topology", "config-wce", "mq", "discard", "write-zeroes", "indirect-desc", "event-idx"]);
    expect(blk.has(FeatureBit.Version1)).toBe(false);
    expect(blk.has(BlkFeature.Mq)).toBe(true);
  });
});
