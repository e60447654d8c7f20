/** Reserved (device-independent) feature bits (virtio 1.2 section 6). */
export const VIRTIO_F = {
  INDIRECT_DESC: 28,
  EVENT_IDX: 29,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
  RING_PACKED: 34,
  IN_ORDER: 35,
  ORDER_PLATFORM: 36,
  SR_IOV: 37,
  NOTIFICATION_DATA: 38,
  NOTIF_CONFIG_DATA: 39,
  RING_RESET: 40,
} as const;

/** Feature bits of the legacy interface only (section 6.3). */
export const VIRTIO_F_LEGACY = { NOTIFY_ON_EMPTY: 24, ANY_LAYOUT: 27 } as const;

/** The legacy interfaces carry feature bits 0 to 31 only. */
export const LEGACY_FEATURE_BITS = 32;

export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

export function hasFeatureBit(features: bigint, bit: number): boolean {
  return (features & featureBit(bit)) !== 0n;
}

/** The union of `bits` as a feature mask. */
export function featureMask(bits: readonly number[]): bigint {
  return bits.reduce((mask, bit) => mask | featureBit(bit), 0n);
}
