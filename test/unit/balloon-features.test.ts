// The names the machine status gives the virtio-balloon feature bits are the specification's
// (VIRTIO_BALLOON_F_*, section 5.5.3), lower-cased with hyphens.
import { describe, expect, it } from "vitest";
import { BALLOON_FEATURE_NAMES } from "../../drivers/virtio/balloon/constants";
import { featureNames } from "../../drivers/virtio/features";
import { VIRTIO_BALLOON_F } from "../sim/virtio/spec/balloon";
import { featureBit } from "../sim/virtio/spec/feature-bits";

describe("virtio-balloon feature names", () => {
  it("names every feature bit of the specification as the specification does", () => {
    for (const [name, bit] of Object.entries(VIRTIO_BALLOON_F)) {
      expect(featureNames(featureBit(bit), BALLOON_FEATURE_NAMES)).toEqual([name.toLowerCase().replaceAll("_", "-")]);
    }
  });
});
