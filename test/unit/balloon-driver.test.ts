// The virtio-balloon driver entry: registered for device type 5 under its name, with the features
// it accepts; the queues found on a device numbering them as the specification does, with and
// without a statistics queue.
import { describe, expect, it } from "vitest";
import { VIRTIO_BALLOON_FEATURES, registerVirtioBalloonDriver } from "../../drivers/virtio/balloon/driver";
import { virtioDrivers } from "../../drivers/virtio/registry";
import { assertNoViolations } from "../sim/violations";
import { VIRTIO_BALLOON_F } from "../sim/virtio/spec/balloon";
import { VIRTIO_DEVICE_ID } from "../sim/virtio/spec/device-ids";
import { featureBit } from "../sim/virtio/spec/feature-bits";
import { balloonMachine } from "./balloon-harness";

describe("virtio-balloon driver entry", () => {
  it("registers with the boot registry for the balloon device type, named virtio-balloon", () => {
    expect(virtioDrivers.find(VIRTIO_DEVICE_ID.balloon)).toBeUndefined();
    registerVirtioBalloonDriver({ pages: { freePages: () => 0, totalPages: () => 0 } });
    const driver = virtioDrivers.find(VIRTIO_DEVICE_ID.balloon);
    expect(driver?.name).toBe("virtio-balloon");
    expect(driver?.features).toBe(VIRTIO_BALLOON_FEATURES);
  });
});

describe("virtio-balloon with PAGE_REPORTING but no STATS_VQ", () => {
  it("takes the report's acknowledgement on reporting_vq and gives the ranges back", () => {
    const rig = balloonMachine({ model: { features: featureBit(VIRTIO_BALLOON_F.PAGE_REPORTING), specNumbering: true }, driver: { reporting: { rangeBytes: 1024 * 1024, rangesPerReport: 2 } } });
    const free = rig.pages.freePages();
    rig.settle();
    expect(rig.balloon.statsQueue).toBeUndefined();
    expect(rig.model.queueIndex("reporting")).toBe(4);
    expect(rig.balloon.reporter?.reports).toBe(1);
    expect(rig.model.reportedBytes).toBe(2 * 1024 * 1024);
    expect(rig.pages.freePages()).toBeGreaterThanOrEqual(free);
    expect(rig.probed.state).toBe("ready");
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-balloon on a device numbering its queues as the specification does", () => {
  it("finds no queue 3 (free_page_vq is not offered) and reports on reporting_vq, queue 4", () => {
    const features = featureBit(VIRTIO_BALLOON_F.STATS_VQ) | featureBit(VIRTIO_BALLOON_F.PAGE_REPORTING);
    const rig = balloonMachine({ model: { features, specNumbering: true }, driver: { reporting: { rangeBytes: 1024 * 1024, rangesPerReport: 2 } } });
    rig.settle();
    expect(rig.model.queueIndex("reporting")).toBe(4);
    expect(rig.balloon.reporter?.queue.index).toBe(4);
    expect(rig.balloon.reporter?.reports).toBe(1);
    rig.target(100);
    expect(rig.model.actual).toBe(100);
    assertNoViolations(rig.machine.violations);
  });
});
