// virtio-balloon against the simulated device: num_pages followed with real pages, `actual` kept
// current, the free-memory floor, statistics, and what the device sends validated.
import { describe, expect, it } from "vitest";
import { DEFAULT_MIN_FREE_BYTES } from "../../drivers/virtio/balloon/balloon";
import { PAGE_SIZE } from "../../kernel/platform";
import { SIM_DMA_CAPACITY } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BALLOON_SCRIBBLE } from "../sim/virtio/balloon-model";
import { PARK, type RequestResult } from "../sim/virtio/device-model";
import type { SimRequest } from "../sim/virtio/request";
import { VIRTIO_BALLOON_F, VIRTIO_BALLOON_S } from "../sim/virtio/spec/balloon";
import { featureBit } from "../sim/virtio/spec/feature-bits";
import { balloonMachine } from "./balloon-harness";

const STATS_ONLY = featureBit(VIRTIO_BALLOON_F.STATS_VQ);

describe("virtio-balloon inflate and deflate", () => {
  it("takes num_pages pages out of the allocator, names each once, and reports them in actual", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    const before = rig.allocatedPages();
    rig.target(1000);
    expect(rig.model.balloon.size).toBe(1000);
    expect(rig.model.actual).toBe(1000);
    expect(rig.allocatedPages() - before).toBe(1000);
    expect(rig.balloon.state).toMatchObject({ requested: 1000, actual: 1000, inflating: 0, bounded: false });
    // Every page named is a whole allocated page, and the device's scribbles stay in it.
    for (const pfn of rig.model.balloon) expect(rig.machine.memory.bytes(pfn * PAGE_SIZE, PAGE_SIZE)?.every((b) => b === BALLOON_SCRIBBLE)).toBe(true);
    assertNoViolations(rig.machine.violations);
  });

  it("gives the pages back to the allocator on deflate, and follows the target both ways", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    const before = rig.allocatedPages();
    rig.target(1500);
    rig.target(300);
    expect(rig.model.balloon.size).toBe(300);
    expect(rig.model.actual).toBe(300);
    expect(rig.allocatedPages() - before).toBe(300);
    rig.target(700);
    rig.target(0);
    expect(rig.model.balloon.size).toBe(0);
    expect(rig.model.actual).toBe(0);
    expect(rig.allocatedPages()).toBe(before);
    assertNoViolations(rig.machine.violations);
  });

  it("sends page frame numbers in buffers of at most pfnsPerBuffer, a few at a time", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY }, driver: { pfnsPerBuffer: 16, buffersPerQueue: 2 } });
    rig.target(100);
    expect(rig.model.balloon.size).toBe(100);
    expect(rig.model.inflateRequests).toBe(Math.ceil(100 / 16));
    assertNoViolations(rig.machine.violations);
  });

  it("keeps the free-memory floor: a target that would starve the guest is bounded", () => {
    const floorPages = 16_384 - 1200;
    const rig = balloonMachine({ model: { features: STATS_ONLY }, driver: { minFreeBytes: floorPages * PAGE_SIZE } });
    rig.target(0xffff_ffff);
    expect(rig.pages.freePages()).toBe(floorPages);
    expect(rig.model.actual).toBe(rig.model.balloon.size);
    expect(rig.model.actual).toBeLessThan(1200);
    expect(rig.balloon.state.bounded).toBe(true);
    // Memory freed later is taken when the device wakes the driver again.
    rig.target(0xffff_fffe);
    expect(rig.pages.freePages()).toBe(floorPages);
    rig.target(10);
    expect(rig.model.balloon.size).toBe(10);
    expect(rig.balloon.state.bounded).toBe(false);
    assertNoViolations(rig.machine.violations);
  });

  it("documents its default floor", () => {
    expect(DEFAULT_MIN_FREE_BYTES).toBe(16 * 1024 * 1024);
  });

  it("works over the legacy interface (config little-endian there too)", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY }, pci: { layout: "legacy" } });
    rig.target(64);
    expect(rig.model.balloon.size).toBe(64);
    expect(rig.model.actual).toBe(64);
    assertNoViolations(rig.machine.violations);
  });

  it("runs on packed rings", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY, packed: true } });
    rig.target(300);
    rig.target(100);
    expect(rig.model.balloon.size).toBe(100);
    assertNoViolations(rig.machine.violations);
  });

  it("under MUST_TELL_HOST keeps deflated pages until the device acknowledged", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY | featureBit(VIRTIO_BALLOON_F.MUST_TELL_HOST) } });
    rig.target(200);
    const held = rig.allocatedPages();
    rig.model.holdCompletions = true;
    rig.target(50);
    expect(rig.allocatedPages()).toBe(held);
    expect(rig.model.actual).toBe(200);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(1);
    rig.settle();
    expect(rig.allocatedPages()).toBe(held - 150);
    expect(rig.model.actual).toBe(50);
    assertNoViolations(rig.machine.violations);
  });

  it("does not inflate while a deflate is unacknowledged, nor deflate pages whose inflate is", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    rig.model.holdCompletions = true;
    rig.target(100);
    expect(rig.balloon.state.inflating).toBe(100);
    rig.target(0);
    expect(rig.model.deflateRequests).toBe(0);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(0);
    rig.settle();
    expect(rig.model.balloon.size).toBe(0);
    expect(rig.model.actual).toBe(0);
    assertNoViolations(rig.machine.violations);
  });

  it("a device that corrupts the inflate ring fails alone and every balloon page goes back", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    const before = rig.allocatedPages();
    rig.target(100);
    rig.model.faults.usedId = "out-of-range";
    rig.target(200);
    expect(rig.probed.state).toBe("failed");
    expect(rig.probed.error?.name).toBe("VirtioRingBrokenError");
    // Rings, buffers and pages all freed with the device (its DMA memory is recorded).
    expect(rig.allocatedPages()).toBeLessThan(before);
  });
});

describe("virtio-balloon statistics", () => {
  it("answers each request with free, total and available memory and zero faults, the same set every time", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    expect(rig.model.statsBuffers).toBe(1);
    rig.target(256);
    expect(rig.model.requestStats()).toBe(true);
    rig.settle();
    expect(rig.model.statsBuffers).toBe(2);
    const free = BigInt(rig.pages.freePages() * PAGE_SIZE);
    expect(rig.model.stats.get(VIRTIO_BALLOON_S.MEMFREE)).toBe(free);
    expect(rig.model.stats.get(VIRTIO_BALLOON_S.AVAIL)).toBe(free);
    expect(rig.model.stats.get(VIRTIO_BALLOON_S.MEMTOT)).toBe(BigInt(SIM_DMA_CAPACITY));
    expect(rig.model.stats.get(VIRTIO_BALLOON_S.MAJFLT)).toBe(0n);
    expect(rig.model.stats.get(VIRTIO_BALLOON_S.MINFLT)).toBe(0n);
    rig.target(0);
    rig.model.requestStats();
    rig.settle();
    expect(rig.model.stats.get(VIRTIO_BALLOON_S.MEMFREE)).toBe(free + 256n * BigInt(PAGE_SIZE));
    assertNoViolations(rig.machine.violations);
  });

  it("answers one statistics request per turn from a device that uses every buffer the moment it gets it", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY }, interrupts: false });
    // The device stops after this many, so that an unbounded driver loop still ends.
    const deviceLimit = 10_000;
    const model = rig.model as unknown as { takeStats(request: SimRequest): RequestResult };
    const takeStats = model.takeStats.bind(rig.model);
    model.takeStats = (request) => (takeStats(request) === PARK && rig.model.statsBuffers < deviceLimit ? 0 : PARK);
    const before = rig.model.statsBuffers;
    expect(rig.model.requestStats()).toBe(true);
    rig.balloon.poll();
    expect(rig.model.statsBuffers - before).toBe(1);
    rig.balloon.poll();
    expect(rig.model.statsBuffers - before).toBe(2);
    expect(rig.balloon.statsQueue?.broken).toBeUndefined();
  });

  it("a device that uses the statistics buffer twice fails alone, and no buffer is posted into the broken ring", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    rig.target(50);
    const before = rig.model.statsBuffers;
    rig.model.faults.usedId = "repeat";
    expect(rig.model.requestStats()).toBe(true);
    expect(() => rig.settle()).not.toThrow();
    expect(rig.probed.state).toBe("failed");
    expect(rig.probed.error?.name).toBe("VirtioRingBrokenError");
    expect(rig.model.statsBuffers).toBe(before);
  });

  it("without STATS_VQ has no statistics queue", () => {
    const rig = balloonMachine({ model: { features: 0n } });
    expect(rig.balloon.statsQueue).toBeUndefined();
    expect(rig.model.requestStats()).toBe(false);
    rig.target(10);
    expect(rig.model.actual).toBe(10);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-balloon without interrupts", () => {
  it("is driven by poll(): configuration changes and acknowledgements", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY }, interrupts: false });
    expect(rig.balloon.interruptMode).toBe("polling");
    rig.model.setTarget(300);
    expect(rig.model.balloon.size).toBe(0);
    rig.balloon.poll();
    expect(rig.model.balloon.size).toBeGreaterThan(0);
    for (let i = 0; i < 10 && rig.model.actual !== 300; i++) rig.balloon.poll();
    expect(rig.model.actual).toBe(300);
    rig.model.setTarget(0);
    for (let i = 0; i < 10 && rig.model.actual !== 0; i++) rig.balloon.poll();
    expect(rig.model.balloon.size).toBe(0);
    assertNoViolations(rig.machine.violations);
  });
});
