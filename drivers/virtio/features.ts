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
