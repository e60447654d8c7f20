import { FeatureBit, feature, hasFeature } from "../features";
import { ScsiFeature } from "./constants";

/** What the driver uses: hot-plug and parameter-change events. */
export const VIRTIO_SCSI_DRIVER_FEATURES = feature(ScsiFeature.Hotplug) | feature(ScsiFeature.Change) | feature(FeatureBit.EventIdx);

const NAMES: readonly [number, string][] = [
  [ScsiFeature.Hotplug, "hotplug"],
  [ScsiFeature.Change, "change"],
  [FeatureBit.EventIdx, "event-idx"],
  [FeatureBit.Version1, "version-1"],
  [FeatureBit.RingPacked, "ring-packed"],
  [FeatureBit.InOrder, "in-order"],
];

/** Names of the negotiated features the driver knows, in bit order. */
export function scsiFeatureNames(features: bigint): string[] {
  return NAMES.filter(([bit]) => hasFeature(features, bit)).map(([, name]) => name);
}
