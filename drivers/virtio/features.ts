/** Device-independent feature bit numbers (virtio 1.2 section 6). */
export const FeatureBit = {
  NotifyOnEmpty: 24,
  AnyLayout: 27,
  IndirectDesc: 28,
  EventIdx: 29,
  Version1: 32,
  AccessPlatform: 33,
  RingPacked: 34,
  InOrder: 35,
} as const;

/** Names of the device-independent bits, for reports (a device type adds its own table). */
export const COMMON_FEATURE_NAMES: readonly (readonly [number, string])[] = [
  [FeatureBit.NotifyOnEmpty, "notify-on-empty"],
  [FeatureBit.AnyLayout, "any-layout"],
  [FeatureBit.IndirectDesc, "indirect-desc"],
  [FeatureBit.EventIdx, "event-idx"],
  [FeatureBit.Version1, "version-1"],
  [FeatureBit.AccessPlatform, "access-platform"],
  [FeatureBit.RingPacked, "ring-packed"],
  [FeatureBit.InOrder, "in-order"],
];

/** Highest feature bit a transport carries (two 32-bit feature words). */
const FEATURE_BITS = 64;

/**
 * The names of the bits set in `features`, in bit order, from `names` (a device type's table and
 * COMMON_FEATURE_NAMES); a set bit neither table names reads "bit N".
 */
export function featureNames(features: bigint, names: readonly (readonly [number, string])[]): string[] {
  const byBit = new Map(names);
  const out: string[] = [];
  for (let bit = 0; bit < FEATURE_BITS; bit++) if (hasFeature(features, bit)) out.push(byBit.get(bit) ?? `bit ${bit}`);
  return out;
}

export function feature(bit: number): bigint {
  return 1n << BigInt(bit);
}

export function hasFeature(features: bigint, bit: number): boolean {
  return (features & feature(bit)) !== 0n;
}

/**
 * Ring features the core accepts for every driver (the ring code implements them; no device type
 * depends on them): the packed layout and in-order use.
 */
export const RING_FEATURES = feature(FeatureBit.RingPacked) | feature(FeatureBit.InOrder);

/** Legacy interfaces carry feature bits 0..31 only. */
export const LEGACY_FEATURE_MASK = 0xffff_ffffn;
