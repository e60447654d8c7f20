import { FeatureBit, feature, hasFeature } from "../features";
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

const NAMES: readonly [number, string][] = [
  [BlkFeature.SizeMax, "size-max"],
  [BlkFeature.SegMax, "seg-max"],
  [BlkFeature.Ro, "ro"],
  [BlkFeature.BlkSize, "blk-size"],
  [BlkFeature.Flush, "flush"],
  [BlkFeature.Topology, "topology"],
  [BlkFeature.ConfigWce, "config-wce"],
  [BlkFeature.Mq, "mq"],
  [BlkFeature.Discard, "discard"],
  [BlkFeature.WriteZeroes, "write-zeroes"],
  [FeatureBit.IndirectDesc, "indirect-desc"],
  [FeatureBit.EventIdx, "event-idx"],
  [FeatureBit.Version1, "version-1"],
];

/** Names of the negotiated features the driver knows, in bit order. */
export function blkFeatureNames(features: bigint): string[] {
  return NAMES.filter(([bit]) => hasFeature(features, bit)).map(([, name]) => name);
}
