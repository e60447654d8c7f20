// DEFLATE_ON_OOM under MUST_TELL_HOST with a device that does not acknowledge the deflate in time,
// or breaks the deflate ring instead.
import { describe, expect, it } from "vitest";
import { PAGE_SIZE } from "../../kernel/platform";
import { SIM_DMA_CAPACITY } from "../sim/machine";
import { VIRTIO_BALLOON_F } from "../sim/virtio/spec/balloon";
import { featureMask } from "../sim/virtio/spec/feature-bits";
import { balloonMachine } from "./balloon-harness";

const FEATURES = featureMask([VIRTIO_BALLOON_F.STATS_VQ, VIRTIO_BALLOON_F.DEFLATE_ON_OOM, VIRTIO_BALLOON_F.MUST_TELL_HOST]);

describe("DEFLATE_ON_OOM without the device's acknowledgement", () => {
  it("gives the allocator nothing, and the allocation fails, when the deflate is never acknowledged", () => {
    const rig = balloonMachine({ model: { features: FEATURES } });
    const free = rig.pages.freePages();
    rig.machine.memory.allocate((free - 50) * PAGE_SIZE, PAGE_SIZE, SIM_DMA_CAPACITY + rig.machine.memory.base);
    rig.target(0xffff_ffff);
    rig.model.holdCompletions = true;
    expect(() => rig.machine.allocDma(PAGE_SIZE)).toThrow(RangeError);
    expect(rig.balloon.state.oomDeflated).toBe(0);
  });

  it("gives up at once, without waiting out the bound, when the device breaks the deflate ring", () => {
    const rig = balloonMachine({ model: { features: FEATURES } });
    const free = rig.pages.freePages();
    rig.machine.memory.allocate((free - 50) * PAGE_SIZE, PAGE_SIZE, SIM_DMA_CAPACITY + rig.machine.memory.base);
    rig.target(0xffff_ffff);
    rig.model.faults.usedId = "out-of-range";
    const start = rig.machine.monotonicNs();
    expect(() => rig.machine.allocDma(PAGE_SIZE)).toThrow(RangeError);
    // Well under the 100 ms the driver waits for an acknowledgement that can still come.
    expect(rig.machine.monotonicNs() - start).toBeLessThan(10_000_000);
    expect(rig.balloon.state.oomDeflated).toBe(0);
    expect(rig.probed.state).toBe("failed");
    expect(rig.probed.error?.name).toBe("VirtioRingBrokenError");
  });
});
