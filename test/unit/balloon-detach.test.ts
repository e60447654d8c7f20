// Detaching a virtio-balloon that never registered with the memory pressure (no DEFLATE_ON_OOM).
import { describe, expect, it } from "vitest";
import { VIRTIO_BALLOON_F } from "../sim/virtio/spec/balloon";
import { featureBit } from "../sim/virtio/spec/feature-bits";
import { balloonMachine } from "./balloon-harness";

describe("virtio-balloon detach without DEFLATE_ON_OOM", () => {
  it("detaches cleanly and gives the balloon's pages back with the device's memory", () => {
    const rig = balloonMachine({ model: { features: featureBit(VIRTIO_BALLOON_F.STATS_VQ) } });
    const before = rig.allocatedPages();
    rig.target(100);
    expect(() => rig.probed.device?.detach()).not.toThrow();
    expect(rig.allocatedPages()).toBeLessThan(before);
  });
});
