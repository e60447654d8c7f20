// virtio-balloon accounting while the device has not acknowledged yet: what is in flight is counted
// exactly, inflating and deflating never overlap, `bounded` means the floor (or memory) stopped the
// balloon and nothing else, deflates beyond the ring's slots wait for them, fragmented memory still
// gives exactly num_pages, and DEFLATE_ON_OOM under MUST_TELL_HOST waits for a device that is slow.
import { describe, expect, it } from "vitest";
import { PAGE_SIZE } from "../../kernel/platform";
import { SIM_DMA_CAPACITY } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { VIRTIO_BALLOON_F } from "../sim/virtio/spec/balloon";
import { featureBit, featureMask } from "../sim/virtio/spec/feature-bits";
import { balloonMachine } from "./balloon-harness";

const STATS_ONLY = featureBit(VIRTIO_BALLOON_F.STATS_VQ);
const INFLATEQ = 0;
const DEFLATEQ = 1;

describe("virtio-balloon requests in flight", () => {
  it("does not inflate while a deflate is unacknowledged, nor deflate while an inflate is, and then reaches the target", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    rig.target(100);
    rig.model.holdCompletions = true;
    rig.target(0);
    expect(rig.balloon.state).toMatchObject({ deflating: 100, inflating: 0 });
    // A larger target while the deflate is held: nothing is inflated until it is acknowledged.
    rig.target(200);
    expect(rig.balloon.state).toMatchObject({ deflating: 100, inflating: 0 });
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(DEFLATEQ);
    rig.settle();
    expect(rig.model.balloon.size).toBe(200);
    expect(rig.model.actual).toBe(200);

    // 100 more pages in flight; a target between what is acknowledged and what will be neither
    // inflates nor deflates until the inflate is acknowledged.
    rig.model.holdCompletions = true;
    rig.target(300);
    expect(rig.balloon.state).toMatchObject({ inflating: 100, deflating: 0 });
    rig.target(150);
    expect(rig.balloon.state).toMatchObject({ inflating: 100, deflating: 0 });
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(INFLATEQ);
    rig.settle();
    expect(rig.model.balloon.size).toBe(150);
    expect(rig.model.actual).toBe(150);
    assertNoViolations(rig.machine.violations);
  });

  it("deflates exactly the difference to num_pages, counted in flight until acknowledged", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    rig.target(300);
    rig.model.holdCompletions = true;
    rig.target(100);
    expect(rig.balloon.state).toMatchObject({ requested: 100, actual: 300, deflating: 200, inflating: 0 });
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(DEFLATEQ);
    rig.settle();
    expect(rig.model.balloon.size).toBe(100);
    // Two inflate buffers of at most 256 page numbers, one deflate: nothing overshot and came back.
    expect(rig.model.inflateRequests).toBe(2);
    expect(rig.model.deflateRequests).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("is not bounded while a request the memory allows is in flight", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY } });
    rig.model.holdCompletions = true;
    rig.target(100);
    expect(rig.balloon.state).toMatchObject({ inflating: 100, bounded: false });
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(INFLATEQ);
    rig.settle();
    expect(rig.balloon.state).toMatchObject({ actual: 100, bounded: false });
    assertNoViolations(rig.machine.violations);
  });

  it("keeps at most buffersPerQueue buffers in flight per queue, on rings no larger than it uses", () => {
    const rig = balloonMachine({ model: { features: featureMask([VIRTIO_BALLOON_F.STATS_VQ, VIRTIO_BALLOON_F.PAGE_REPORTING]) }, driver: { pfnsPerBuffer: 16, buffersPerQueue: 2 } });
    rig.model.holdCompletions = true;
    rig.target(100);
    expect(rig.balloon.state).toMatchObject({ inflating: 2 * 16, bounded: false });
    // The device offers 128 entries per queue; the balloon asks for what it can use.
    const sizes = (["inflate", "deflate", "stats", "reporting"] as const).map((role) => rig.model.queue(rig.model.queueIndex(role) as number)?.size);
    expect(sizes).toEqual([64, 64, 4, 32]);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(INFLATEQ);
    rig.settle();
    expect(rig.model.balloon.size).toBe(100);
    assertNoViolations(rig.machine.violations);
  });

  it("deflates more than its slots hold at once as the slots come back", () => {
    const rig = balloonMachine({ model: { features: STATS_ONLY }, driver: { pfnsPerBuffer: 16, buffersPerQueue: 2 } });
    const before = rig.allocatedPages();
    rig.target(100);
    rig.target(0);
    expect(rig.model.balloon.size).toBe(0);
    expect(rig.model.deflateRequests).toBe(Math.ceil(100 / 16));
    expect(rig.allocatedPages()).toBe(before);
    assertNoViolations(rig.machine.violations);
  });
});

describe("DEFLATE_ON_OOM under MUST_TELL_HOST with a slow device", () => {
  it("waits for an acknowledgement that comes a few polls later, within the bound, and the allocation succeeds", () => {
    const features = featureMask([VIRTIO_BALLOON_F.STATS_VQ, VIRTIO_BALLOON_F.DEFLATE_ON_OOM, VIRTIO_BALLOON_F.MUST_TELL_HOST]);
    const rig = balloonMachine({ model: { features } });
    const free = rig.pages.freePages();
    rig.machine.memory.allocate((free - 50) * PAGE_SIZE, PAGE_SIZE, SIM_DMA_CAPACITY + rig.machine.memory.base);
    rig.target(0xffff_ffff);
    const inflated = rig.model.balloon.size;
    // The device holds the deflate and acknowledges it while the driver waits the third time.
    rig.model.holdCompletions = true;
    const wait = rig.machine.waitForInterrupt.bind(rig.machine);
    let waits = 0;
    rig.machine.waitForInterrupt = (deadlineNs: number) => {
      wait(deadlineNs);
      if (++waits === 3) {
        rig.model.holdCompletions = false;
        rig.model.releaseHeld(DEFLATEQ);
      }
    };
    expect(rig.machine.allocDma(PAGE_SIZE).size).toBe(PAGE_SIZE);
    expect(waits).toBe(3);
    const given = rig.balloon.state.oomDeflated;
    expect(given).toBeGreaterThan(0);
    expect(rig.balloon.state.deflating).toBe(0);
    expect(rig.model.balloon.size).toBe(inflated - given);
    rig.settle();
    expect(rig.model.actual).toBe(inflated - given);
    assertNoViolations(rig.machine.violations);
  });
});
