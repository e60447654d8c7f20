import type { SpecTable } from "./field";

/** Block device (virtio 1.2 section 5.2). */
export const VIRTIO_BLK_F = {
  SIZE_MAX: 1,
  SEG_MAX: 2,
  GEOMETRY: 4,
  RO: 5,
  BLK_SIZE: 6,
  FLUSH: 9,
  TOPOLOGY: 10,
  CONFIG_WCE: 11,
  MQ: 12,
  DISCARD: 13,
  WRITE_ZEROES: 14,
  LIFETIME: 15,
  SECURE_ERASE: 16,
} as const;

/** struct virtio_blk_config; nested structure fields as `struct.field`. */
export const virtio_blk_config = {
  capacity: { offset: 0, width: 8, access: "ro" },
  size_max: { offset: 8, width: 4, access: "ro" },
  seg_max: { offset: 12, width: 4, access: "ro" },
  "geometry.cylinders": { offset: 16, width: 2, access: "ro" },
  "geometry.heads": { offset: 18, width: 1, access: "ro" },
  "geometry.sectors": { offset: 19, width: 1, access: "ro" },
  blk_size: { offset: 20, width: 4, access: "ro" },
  "topology.physical_block_exp": { offset: 24, width: 1, access: "ro" },
  "topology.alignment_offset": { offset: 25, width: 1, access: "ro" },
  "topology.min_io_size": { offset: 26, width: 2, access: "ro" },
  "topology.opt_io_size": { offset: 28, width: 4, access: "ro" },
  /** Writable by the driver when VIRTIO_BLK_F_CONFIG_WCE is negotiated (5.2.6). */
  writeback: { offset: 32, width: 1, access: "rw" },
  unused0: { offset: 33, width: 1, access: "ro" },
  num_queues: { offset: 34, width: 2, access: "ro" },
  max_discard_sectors: { offset: 36, width: 4, access: "ro" },
  max_discard_seg: { offset: 40, width: 4, access: "ro" },
  discard_sector_alignment: { offset: 44, width: 4, access: "ro" },
  max_write_zeroes_sectors: { offset: 48, width: 4, access: "ro" },
  max_write_zeroes_seg: { offset: 52, width: 4, access: "ro" },
  write_zeroes_may_unmap: { offset: 56, width: 1, access: "ro" },
  unused1: { offset: 57, width: 1, access: "ro", count: 3 },
  max_secure_erase_sectors: { offset: 60, width: 4, access: "ro" },
  max_secure_erase_seg: { offset: 64, width: 4, access: "ro" },
  secure_erase_sector_alignment: { offset: 68, width: 4, access: "ro" },
} as const satisfies SpecTable;

/** capacity and the request sector are in 512-byte units whatever blk_size says. */
export const VIRTIO_BLK_SECTOR_SIZE = 512;

/** struct virtio_blk_req (section 5.2.6): header, data, then one status byte the device writes. */
export const virtio_blk_req = {
  type: { offset: 0, width: 4, access: "ro" },
  reserved: { offset: 4, width: 4, access: "ro" },
  sector: { offset: 8, width: 8, access: "ro" },
} as const satisfies SpecTable;
export const VIRTIO_BLK_REQ_HEADER_SIZE = 16;
export const VIRTIO_BLK_STATUS_SIZE = 1;
export const VIRTIO_BLK_T = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8, GET_LIFETIME: 10, DISCARD: 11, WRITE_ZEROES: 13, SECURE_ERASE: 14 } as const;
export const VIRTIO_BLK_S = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;
/** GET_ID answers with a serial of at most this many bytes. */
export const VIRTIO_BLK_ID_BYTES = 20;

/** struct virtio_blk_discard_write_zeroes: one segment of a DISCARD / WRITE_ZEROES request. */
export const virtio_blk_discard_write_zeroes = {
  sector: { offset: 0, width: 8, access: "ro" },
  num_sectors: { offset: 8, width: 4, access: "ro" },
  flags: { offset: 12, width: 4, access: "ro" },
} as const satisfies SpecTable;
export const VIRTIO_BLK_DISCARD_WRITE_ZEROES_SIZE = 16;
export const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;
