import { describe, expect, it } from "vitest";
import { BLK_FEATURE_NAMES } from "../../drivers/virtio/blk/features";
import { COMMON_FEATURE_NAMES, FeatureBit, feature, featureNames } from "../../drivers/virtio/features";
import { deviceStatus, machineStatus } from "../../runtime/app/machine-status";
import { BlkFeature } from "../../drivers/virtio/blk/constants";
import { irqMachine } from "./driver-irq-harness";

const BLOCK = 4096;
const READS = 5;

describe("feature names", () => {
  it("names the set bits from the device's table and the common one, in bit order, and numbers the rest", () => {
    const bits = feature(BlkFeature.Flush) | feature(FeatureBit.Version1) | feature(BlkFeature.SizeMax) | feature(20) | feature(FeatureBit.RingPacked);
    expect(featureNames(bits, [...BLK_FEATURE_NAMES, ...COMMON_FEATURE_NAMES])).toEqual(["size-max", "flush", "bit 20", "version-1", "ring-packed"]);
    expect(featureNames(0n, COMMON_FEATURE_NAMES)).toEqual([]);
  });
});

describe("machine status", () => {
  it("reports a disk's features by name, its ring, per-queue notifications and interrupts, and the requests the disk finished", async () => {
    const rig = irqMachine({ disk: { model: { sectors: 4096, blkSize: BLOCK } } });
    rig.turn();
    const before = deviceStatus(rig.probed[0]).queues[0];
    const finishedBefore = rig.disk.finishedRequests;
    for (let i = 0; i < READS; i++) await rig.run(rig.disk.read(i, new Uint8Array(BLOCK)));
    const status = deviceStatus(rig.probed[0]);
    expect(status).toMatchObject({ type: "blk", state: "ready", interruptMode: "msix", error: "" });
    expect(status.featureNames).toContain("version-1");
    expect(status.featureNames).toContain("flush");
    expect(status.ring).toEqual({ layout: "split", inOrder: false, eventIdx: status.featureNames.includes("event-idx"), indirect: status.featureNames.includes("indirect-desc") });
    const [queue] = status.queues;
    expect(queue).toMatchObject({ index: 0, size: rig.blk.queue.size, inFlight: 0, deviceErrors: 0, broken: "" });
    expect(queue.notifications - before.notifications).toBe(READS);
    expect(queue.interrupts - before.interrupts).toBe(READS);
    expect(queue.interrupts).toBe(rig.blk.interruptStats.interrupts);

    const machine = machineStatus({ monotonicNs: 2.5e9, memory: { heapBytes: 1, freePages: 2, totalPages: 3 }, virtio: rig.probed, disks: [rig.disk], network: undefined });
    expect(machine.uptimeSeconds).toBe(2.5);
    expect(machine.network).toBeNull();
    expect(machine.block[rig.disk.name]).toMatchObject({ recoveries: 0, offline: "no", blockSize: BLOCK, requests: finishedBefore + READS });
    expect(JSON.parse(JSON.stringify(machine))).toEqual(machine);
  });
});
