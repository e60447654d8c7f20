/** virtio-balloon (traditional memory balloon, device type 5) from the virtio 1.x specification, section 5.5. */
import { register } from "../register";

export const BalloonFeature = {
  MustTellHost: 0,
  StatsVq: 1,
  DeflateOnOom: 2,
  FreePageHint: 3,
  PagePoison: 4,
  PageReporting: 5,
} as const;

/** Names of the virtio-balloon feature bits (virtio 1.2 section 5.5.3). */
export const BALLOON_FEATURE_NAMES: readonly (readonly [number, string])[] = [
  [BalloonFeature.MustTellHost, "must-tell-host"],
  [BalloonFeature.StatsVq, "stats-vq"],
  [BalloonFeature.DeflateOnOom, "deflate-on-oom"],
  [BalloonFeature.FreePageHint, "free-page-hint"],
  [BalloonFeature.PagePoison, "page-poison"],
  [BalloonFeature.PageReporting, "page-reporting"],
];

/**
 * Device configuration, `struct virtio_balloon_config` (section 5.5.4). Little-endian on every
 * interface, legacy included. The driver writes `actual`; the hint and poison fields belong to
 * features this driver does not accept, so it never touches them.
 */
export const BALLOON_CONFIG = {
  num_pages: register("num_pages", 0, 4, "ro"),
  actual: register("actual", 4, 4, "rw"),
} as const;

/** Page frame numbers in the inflate and deflate arrays count 4096-byte units, whatever the guest's page size. */
export const BALLOON_PFN_SHIFT = 12;
export const BALLOON_PAGE_SIZE = 1 << BALLOON_PFN_SHIFT;
/** Bytes of one page frame number (le32) in an inflate or deflate array. */
export const PFN_BYTES = 4;

/** struct virtio_balloon_stat: le16 tag, le64 val, packed (10 bytes). */
export const BalloonStat = { Size: 10, Tag: 0, Value: 2 } as const;
export const BalloonStatTag = {
  SwapIn: 0,
  SwapOut: 1,
  MajorFaults: 2,
  MinorFaults: 3,
  MemFree: 4,
  MemTotal: 5,
  Available: 6,
} as const;
