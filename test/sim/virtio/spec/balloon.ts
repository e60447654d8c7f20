import type { SpecTable } from "./field";

/** Traditional memory balloon device (virtio 1.2 section 5.5). */
export const VIRTIO_BALLOON_F = {
  MUST_TELL_HOST: 0,
  STATS_VQ: 1,
  DEFLATE_ON_OOM: 2,
  FREE_PAGE_HINT: 3,
  PAGE_POISON: 4,
  PAGE_REPORTING: 5,
} as const;

/** struct virtio_balloon_config (section 5.5.4); little-endian on every interface. */
export const virtio_balloon_config = {
  num_pages: { offset: 0, width: 4, access: "ro" },
  actual: { offset: 4, width: 4, access: "rw" },
  free_page_hint_cmd_id: { offset: 8, width: 4, access: "ro" },
  poison_val: { offset: 12, width: 4, access: "rw" },
} as const satisfies SpecTable;

/** Inflate and deflate arrays: le32 page frame numbers of 4096-byte units (section 5.5.6). */
export const VIRTIO_BALLOON_PFN_SHIFT = 12;

/** struct virtio_balloon_stat: le16 tag, le64 val, packed (section 5.5.6.3). */
export const virtio_balloon_stat = {
  tag: { offset: 0, width: 2, access: "ro" },
  val: { offset: 2, width: 8, access: "ro" },
} as const satisfies SpecTable;
export const VIRTIO_BALLOON_STAT_SIZE = 10;

export const VIRTIO_BALLOON_S = {
  SWAP_IN: 0,
  SWAP_OUT: 1,
  MAJFLT: 2,
  MINFLT: 3,
  MEMFREE: 4,
  MEMTOT: 5,
  AVAIL: 6,
  CACHES: 7,
  HTLB_PGALLOC: 8,
  HTLB_PGFAIL: 9,
} as const;
