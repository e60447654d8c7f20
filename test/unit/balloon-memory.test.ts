// The page allocator's side of the balloon: DEFLATE_ON_OOM (an allocation that would fail deflates
// the balloon first), the memory-pressure hook itself, free page reporting, and the queue numbering.
import { describe, expect, it } from "vitest";
import { balloonQueues } from "../../drivers/virtio/balloon/layout";
import { DevicePlatform } from "../../drivers/virtio/device-platform";
import { MemoryPressure, allocateReclaiming } from "../../kernel/memory-pressure";
import { PAGE_SIZE } from "../../kernel/platform";
import { SIM_DMA_CAPACITY, SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { VIRTIO_BALLOON_F } from "../sim/virtio/spec/balloon";
import { featureBit, featureMask } from "../sim/virtio/spec/feature-bits";
import { balloonMachine } from "./balloon-harness";

const OOM = featureMask([VIRTIO_BALLOON_F.STATS_VQ, VIRTIO_BALLOON_F.DEFLATE_ON_OOM]);

/** Fills the simulated memory but for `leftPages` pages, in one region. */
function fillMemory(rig: ReturnType<typeof balloonMachine>, leftPages: number): void {
  const free = rig.pages.freePages();
  rig.machine.memory.allocate((free - leftPages) * PAGE_SIZE, PAGE_SIZE, SIM_DMA_CAPACITY + rig.machine.memory.base);
}

describe("DEFLATE_ON_OOM", () => {
  it("an allocation the allocator cannot serve deflates the balloon first, and actual follows", () => {
    const rig = balloonMachine({ model: { features: OOM } });
    fillMemory(rig, 600);
    rig.target(0xffff_ffff);
    const inflated = rig.model.balloon.size;
    expect(inflated).toBeGreaterThan(500);
    expect(() => rig.machine.memory.allocate(PAGE_SIZE, PAGE_SIZE, SIM_DMA_CAPACITY + rig.machine.memory.base)).toThrow(RangeError);
    const region = rig.machine.allocDma(4 * PAGE_SIZE);
    expect(region.size).toBe(4 * PAGE_SIZE);
    const given = rig.balloon.state.oomDeflated;
    expect(given).toBeGreaterThanOrEqual(4);
    expect(rig.model.balloon.size).toBe(inflated - given);
    // actual follows once the device's acknowledgement is taken.
    expect(rig.model.actual).toBe(inflated);
    rig.settle();
    expect(rig.model.actual).toBe(inflated - given);
    // Nothing free above the floor, so the balloon does not take the pages back on the next wake-up.
    expect(rig.model.requestStats()).toBe(true);
    rig.settle();
    expect(rig.model.balloon.size).toBe(inflated - given);
    assertNoViolations(rig.machine.violations);
  });

  it("is no longer bounded once the device asks for what the balloon holds, even while an out-of-memory deflate is unacknowledged", () => {
    const rig = balloonMachine({ model: { features: OOM } });
    fillMemory(rig, 600);
    rig.target(0xffff_ffff);
    const inflated = rig.model.balloon.size;
    expect(rig.balloon.state.bounded).toBe(true);
    rig.model.holdCompletions = true;
    rig.machine.allocDma(4 * PAGE_SIZE);
    const { deflating } = rig.balloon.state;
    expect(deflating).toBeGreaterThanOrEqual(4);
    rig.target(inflated - deflating);
    expect(rig.balloon.state).toMatchObject({ requested: inflated - deflating, deflating, bounded: false });
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(1);
    rig.settle();
    expect(rig.model.balloon.size).toBe(inflated - deflating);
    expect(rig.balloon.state).toMatchObject({ actual: inflated - deflating, bounded: false });
    assertNoViolations(rig.machine.violations);
  });

  it("without DEFLATE_ON_OOM the balloon keeps its pages and the allocation fails", () => {
    const rig = balloonMachine({ model: { features: featureBit(VIRTIO_BALLOON_F.STATS_VQ) } });
    fillMemory(rig, 100);
    rig.target(0xffff_ffff);
    const inflated = rig.model.balloon.size;
    expect(() => rig.machine.allocDma(PAGE_SIZE)).toThrow(RangeError);
    expect(rig.model.balloon.size).toBe(inflated);
    assertNoViolations(rig.machine.violations);
  });

  it("under MUST_TELL_HOST waits (bounded) for the device to acknowledge before the pages are used", () => {
    const rig = balloonMachine({ model: { features: OOM | featureBit(VIRTIO_BALLOON_F.MUST_TELL_HOST) } });
    fillMemory(rig, 50);
    rig.target(0xffff_ffff);
    const inflated = rig.model.balloon.size;
    expect(rig.machine.allocDma(PAGE_SIZE).size).toBe(PAGE_SIZE);
    expect(rig.balloon.state.oomDeflated).toBeGreaterThan(0);
    expect(rig.model.balloon.size).toBe(inflated - rig.balloon.state.oomDeflated);
    assertNoViolations(rig.machine.violations);
  });

  it("a detached balloon is no longer asked", () => {
    const rig = balloonMachine({ model: { features: OOM } });
    fillMemory(rig, 20);
    rig.target(20);
    rig.probed.device?.detach();
    // Detaching reset the device and freed its memory, balloon pages included.
    expect(rig.pages.freePages()).toBeGreaterThanOrEqual(20);
    expect(rig.pressure.reclaim(1)).toBe(0);
  });
});

describe("MemoryPressure", () => {
  it("asks reclaimers in turn until enough came back, and not again while reclaiming", () => {
    const pressure = new MemoryPressure();
    const asked: string[] = [];
    pressure.add((pages) => {
      asked.push(`a${pages}`);
      // An allocation inside a reclaimer does not reclaim again.
      expect(pressure.reclaim(5)).toBe(0);
      return 3;
    });
    const removeB = pressure.add((pages) => {
      asked.push(`b${pages}`);
      return pages;
    });
    pressure.add(() => {
      asked.push("c");
      return 1;
    });
    expect(pressure.reclaim(10)).toBe(10);
    expect(asked).toEqual(["a10", "b7"]);
    removeB();
    expect(pressure.reclaim(10)).toBe(4);
  });

  it("allocateReclaiming retries once after a RangeError if pages came back, and passes other errors on", () => {
    const pressure = new MemoryPressure();
    let free = 0;
    pressure.add(() => {
      free = 2;
      return 2;
    });
    const allocate = (): number => {
      if (free === 0) throw new RangeError("no memory");
      return free--;
    };
    expect(allocateReclaiming(pressure, PAGE_SIZE, allocate)).toBe(2);
    expect(() => allocateReclaiming(new MemoryPressure(), PAGE_SIZE, () => { throw new RangeError("none"); })).toThrow("none");
    expect(() => allocateReclaiming(pressure, PAGE_SIZE, () => { throw new TypeError("bad"); })).toThrow(TypeError);
  });
});

describe("page runs taken through a device", () => {
  it("are recorded until given back, in any whole pages, and the rest goes back at teardown", () => {
    const machine = new SimMachine();
    const platform = new DevicePlatform(machine);
    const run = platform.takePages(8);
    expect(machine.memory.allocatedBytes).toBe(8 * PAGE_SIZE);
    platform.returnPages(run + 2 * PAGE_SIZE, 3);
    expect(machine.memory.allocatedBytes).toBe(5 * PAGE_SIZE);
    expect(machine.memory.bytes(run + 2 * PAGE_SIZE, PAGE_SIZE)).toBeUndefined();
    expect(() => platform.returnPages(run + 2 * PAGE_SIZE, 1)).toThrow(RangeError);
    expect(() => machine.takePages(0)).toThrow(RangeError);
    platform.freeAll();
    expect(machine.memory.allocatedBytes).toBe(0);
  });
});

describe("free page reporting", () => {
  it("reports free memory in aligned ranges above the floor and gives them back once acknowledged", () => {
    const floor = SIM_DMA_CAPACITY / 2;
    const rig = balloonMachine({ driver: { minFreeBytes: floor, reporting: { rangeBytes: 1024 * 1024, rangesPerReport: 8 } } });
    rig.settle();
    expect(rig.model.reportedBytes).toBe(8 * 1024 * 1024);
    expect(rig.balloon.reporter?.reports).toBe(1);
    // Everything reported is free again.
    expect(rig.pages.freePages() * PAGE_SIZE).toBeGreaterThan(floor + 8 * 1024 * 1024);
    assertNoViolations(rig.machine.violations);
  });

  it("never reports below the floor, and reports again when free memory grew", () => {
    const rig = balloonMachine({ driver: { reporting: { rangeBytes: 1024 * 1024, rangesPerReport: 2 } } });
    rig.settle();
    const first = rig.model.reportedBytes;
    rig.model.requestStats();
    rig.settle();
    expect(rig.model.reportedBytes).toBe(first);
    // The app uses 4 MiB and frees it: that memory is reported at the next statistics request.
    const used = rig.machine.allocDma(4 * 1024 * 1024);
    rig.model.requestStats();
    rig.settle();
    expect(rig.model.reportedBytes).toBe(first);
    rig.machine.freeDma(used);
    rig.model.requestStats();
    rig.settle();
    expect(rig.model.reportedBytes).toBe(first + 2 * 1024 * 1024);
    assertNoViolations(rig.machine.violations);

    const tight = balloonMachine({ driver: { minFreeBytes: SIM_DMA_CAPACITY, reporting: { rangeBytes: 1024 * 1024 } } });
    tight.settle();
    expect(tight.model.reportedBytes).toBe(0);
  });
});

describe("balloon queue numbering", () => {
  const stats = featureBit(VIRTIO_BALLOON_F.STATS_VQ);
  const reporting = featureBit(VIRTIO_BALLOON_F.PAGE_REPORTING);
  const hint = featureBit(VIRTIO_BALLOON_F.FREE_PAGE_HINT);

  it("takes reporting_vq right after the queues the device has (QEMU), or at 4 as the specification numbers it", () => {
    const all = stats | reporting;
    expect(balloonQueues(all, all, (i) => i <= 3)).toEqual({ inflate: 0, deflate: 1, stats: 2, reporting: 3 });
    expect(balloonQueues(all | hint, all, (i) => i <= 4)).toEqual({ inflate: 0, deflate: 1, stats: 2, reporting: 4 });
    expect(balloonQueues(all, all, (i) => i !== 3)).toEqual({ inflate: 0, deflate: 1, stats: 2, reporting: 4 });
    expect(balloonQueues(all, 0n, () => true)).toEqual({ inflate: 0, deflate: 1, stats: undefined, reporting: undefined });
  });
});

describe("free page reporting options", () => {
  it("refuse a range that is not whole pages, failing only the device", () => {
    const rig = () => balloonMachine({ driver: { reporting: { rangeBytes: 6000 } } });
    expect(rig).toThrow(/reporting-range/);
  });
});
