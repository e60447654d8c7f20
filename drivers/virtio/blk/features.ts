import { COMMON_FEATURE_NAMES, FeatureBit, feature, featureNames } from "../features";
import { BlkFeature } from "./constants";

/** Everything the driver understands; the device's offer decides what is used. */
export const VIRTIO_BLK_DRIVER_FEATURES =
  feature(BlkFeature.SizeMax) |
  feature(BlkFeature.SegMax) |
  feature(BlkFeature.Ro) |
  feature(BlkFeature.BlkSize) |
  feature(BlkFeature.Flush) |
  feature(BlkFeature.Topology) |
  feature(BlkFeature.ConfigWce) |
  feature(BlkFeature.Mq) |
  feature(BlkFeature.Discard) |
  feature(BlkFeature.WriteZeroes) |
  feature(FeatureBit.IndirectDesc) |
  feature(FeatureBit.EventIdx);

/** Names of virtio-blk's own feature bits (virtio 1.2 section 5.2.3). */
export const BLK_FEATURE_NAMES: readonly (readonly [number, string])[] = [
  [BlkFeature.SizeMax, "size-max"],
  [BlkFeature.SegMax, "seg-max"],
  [BlkFeature.Geometry, "geometry"],
  [BlkFeature.Ro, "ro"],
  [BlkFeature.BlkSize, "blk-size"],
  [BlkFeature.Flush, "flush"],
  [BlkFeature.Topology, "topology"],
  [BlkFeature.ConfigWce, "config-wce"],
  [BlkFeature.Mq, "mq"],
  [BlkFeature.Discard, "discard"],
  [BlkFeature.WriteZeroes, "write-zeroes"],
];

/** The negotiated features the driver asks for (and VERSION_1), by name, in bit order. */
export function blkFeatureNames(features: bigint): string[] {
  const known = VIRTIO_BLK_DRIVER_FEATURES | feature(FeatureBit.Version1);
  return featureNames(features & known, [...BLK_FEATURE_NAMES, ...COMMON_FEATURE_NAMES]);
}
