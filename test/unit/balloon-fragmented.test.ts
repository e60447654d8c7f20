// virtio-balloon and free page reporting when free memory is fragmented: runs smaller than asked
// for, free bytes no page can be taken from, and an allocator failure that is not out-of-memory.
import { describe, expect, it } from "vitest";
import { PAGE_SIZE } from "../../kernel/platform";
import { SIM_DMA_CAPACITY } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { VIRTIO_BALLOON_F } from "../sim/virtio/spec/balloon";
import { featureBit, featureMask } from "../sim/virtio/spec/feature-bits";
import { balloonMachine } from "./balloon-harness";

const STATS_ONLY = featureBit(VIRTIO_BALLOON_F.STATS_VQ);
const INFLATEQ = 0;
const HOLE_PAGES = 6;

type Rig = ReturnType<typeof balloonMachine>;

/** Takes all free memory; returns the largest region taken and the free pages left (none of them takeable). */
function fill(rig: Rig): { filler: { physical: number; size: number }; unusable: number } {
  const memory = rig.machine.memory;
  const limit = SIM_DMA_CAPACITY + memory.base;
  let filler: { physical: number; size: number } | undefined;
  for (let pages = rig.pages.freePages(); pages > 0; ) {
    try {
      const region = memory.allocate(pages * PAGE_SIZE, PAGE_SIZE, limit);
      if (filler === undefined || region.size > filler.size) filler = region;
    } catch {
      pages = pages === 1 ? 0 : Math.ceil(pages / 2);
    }
  }
  if (filler === undefined || filler.size < 64 * PAGE_SIZE) throw new Error("no region to fragment");
  expect(() => memory.allocate(PAGE_SIZE, PAGE_SIZE, limit)).toThrow(RangeError);
  return { filler, unusable: rig.pages.freePages() };
}

/**
 * Frees `holes` runs of 6 pages out of `filler`, an allocated page between them, and two half
 * pages apart from each other (a page's worth of free bytes, no page of it takeable).
 */
function punch(rig: Rig, filler: { physical: number }, holes: number): void {
  const stride = HOLE_PAGES + 1;
  const halves = filler.physical + holes * stride * PAGE_SIZE;
  rig.machine.memory.release(halves + PAGE_SIZE, PAGE_SIZE / 2);
  rig.machine.memory.release(halves + 3 * PAGE_SIZE, PAGE_SIZE / 2);
  for (let hole = 0; hole < holes; hole++) rig.machine.memory.release(filler.physical + hole * stride * PAGE_SIZE, HOLE_PAGES * PAGE_SIZE);
}

/** Fragments all free memory: 4 runs of 6 pages, and a page's worth of bytes in halves. Returns the free pages no run can be taken from. */
function fragment(rig: Rig): number {
  const { filler, unusable } = fill(rig);
  punch(rig, filler, 4);
  expect(rig.pages.freePages()).toBe(unusable + 1 + 4 * HOLE_PAGES);
  return unusable + 1;
}

describe("virtio-balloon in fragmented memory", () => {
  it("takes exactly num_pages pages out of smaller runs, and gives none back", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    const unusable = fragment(rig);
    // No run of 11 pages is free: 6 and 5 are taken.
    rig.model.holdCompletions = true;
    rig.target(11);
    expect(rig.balloon.state.inflating).toBe(11);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(INFLATEQ);
    rig.settle();
    expect(rig.model.balloon.size).toBe(11);
    expect(rig.model.deflateRequests).toBe(0);
    expect(rig.pages.freePages()).toBe(unusable + 4 * HOLE_PAGES - 11);
    assertNoViolations(rig.machine.violations);
  });

  it("is bounded when the free pages counted cannot be taken", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    fragment(rig);
    rig.target(rig.pages.freePages());
    expect(rig.model.balloon.size).toBe(4 * HOLE_PAGES);
    expect(rig.balloon.state).toMatchObject({ actual: 4 * HOLE_PAGES, bounded: true });
    assertNoViolations(rig.machine.violations);
  });

  it("free page reporting offers only whole ranges it could take, none when there is none, and more once there are", () => {
    const features = featureMask([VIRTIO_BALLOON_F.STATS_VQ, VIRTIO_BALLOON_F.PAGE_REPORTING]);
    // Ranges of 8 pages: the 6-page holes hold none.
    const rig = balloonMachine({ model: { features }, driver: { reporting: { rangeBytes: 8 * PAGE_SIZE, rangesPerReport: 2 } } });
    rig.settle();
    const reported = rig.model.reportedBytes;
    const reports = rig.balloon.reporter?.reports;
    expect(reported).toBe(2 * 8 * PAGE_SIZE);
    const spare = rig.machine.allocDma(16 * PAGE_SIZE);
    const { filler } = fill(rig);
    rig.model.requestStats();
    rig.settle();
    // Free memory grows by 25 pages (more than a range), in runs too small for one.
    punch(rig, filler, 4);
    rig.model.requestStats();
    rig.settle();
    expect(rig.model.reportedBytes).toBe(reported);
    expect(rig.balloon.reporter?.reports).toBe(reports);
    // Nothing is in flight: two whole ranges freed later are reported.
    rig.machine.freeDma(spare);
    rig.model.requestStats();
    rig.settle();
    expect(rig.model.reportedBytes).toBe(reported + 16 * PAGE_SIZE);
    expect(rig.balloon.reporter?.reports).toBe((reports ?? 0) + 1);
    expect(rig.probed.state).toBe("ready");
    assertNoViolations(rig.machine.violations);
  });
});

describe("an allocator failure that is not out-of-memory", () => {
  it("is not taken for a lack of pages: inflating stops with the error, recorded against the device", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    rig.machine.takePages = () => {
      throw new TypeError("page allocator corrupted");
    };
    rig.target(10);
    expect(rig.probed.device?.configErrors).toBe(1);
    expect(rig.probed.device?.lastConfigError?.detail).toBe("TypeError: page allocator corrupted");
    expect(rig.balloon.state).toMatchObject({ requested: 10, inflating: 0, bounded: false });
  });

  it("is not taken for a lack of free ranges by free page reporting", () => {
    const features = featureMask([VIRTIO_BALLOON_F.STATS_VQ, VIRTIO_BALLOON_F.PAGE_REPORTING]);
    const rig = balloonMachine({ model: { features }, driver: { reporting: { rangeBytes: 8 * PAGE_SIZE, rangesPerReport: 2 } } });
    rig.settle();
    const used = rig.machine.allocDma(16 * PAGE_SIZE);
    rig.model.requestStats();
    rig.settle();
    rig.machine.takePages = () => {
      throw new TypeError("page allocator corrupted");
    };
    rig.machine.freeDma(used);
    rig.model.requestStats();
    expect(() => rig.settle()).toThrow("page allocator corrupted");
  });
});
