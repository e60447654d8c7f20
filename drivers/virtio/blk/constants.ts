/** virtio-blk (device type 2) registers and wire formats, from the virtio 1.x specification. */
import { register } from "../register";

export const BlkFeature = {
  SizeMax: 1,
  SegMax: 2,
  Geometry: 4,
  Ro: 5,
  BlkSize: 6,
  Flush: 9,
  Topology: 10,
  ConfigWce: 11,
  Mq: 12,
  Discard: 13,
  WriteZeroes: 14,
} as const;

/**
 * Device configuration, `struct virtio_blk_config` (virtio 1.2 section 5.2.4), as far as the driver
 * reads it. The topology fields sit in `struct virtio_blk_topology` and keep their own names.
 * writeback is the one field the driver may write (with CONFIG_WCE).
 */
export const BLK_CONFIG = {
  capacity: register("capacity", 0, 8, "ro"),
  size_max: register("size_max", 8, 4, "ro"),
  seg_max: register("seg_max", 12, 4, "ro"),
  blk_size: register("blk_size", 20, 4, "ro"),
  physical_block_exp: register("physical_block_exp", 24, 1, "ro"),
  alignment_offset: register("alignment_offset", 25, 1, "ro"),
  min_io_size: register("min_io_size", 26, 2, "ro"),
  opt_io_size: register("opt_io_size", 28, 4, "ro"),
  writeback: register("writeback", 32, 1, "rw"),
  num_queues: register("num_queues", 34, 2, "ro"),
  max_discard_sectors: register("max_discard_sectors", 36, 4, "ro"),
  max_discard_seg: register("max_discard_seg", 40, 4, "ro"),
  discard_sector_alignment: register("discard_sector_alignment", 44, 4, "ro"),
  max_write_zeroes_sectors: register("max_write_zeroes_sectors", 48, 4, "ro"),
  max_write_zeroes_seg: register("max_write_zeroes_seg", 52, 4, "ro"),
  write_zeroes_may_unmap: register("write_zeroes_may_unmap", 56, 1, "ro"),
} as const;

export const BlkRequestType = { In: 0, Out: 1, Flush: 4, GetId: 8, Discard: 11, WriteZeroes: 13 } as const;
export type BlkRequestTypeValue = (typeof BlkRequestType)[keyof typeof BlkRequestType];

export const BlkStatus = { Ok: 0, IoErr: 1, Unsupp: 2 } as const;

/** The protocol's unit, whatever the device's block size. */
export const SECTOR_SIZE = 512;

/** Request header: le32 type, le32 reserved, le64 sector. */
export const BlkHeader = { Size: 16, Type: 0, Reserved: 4, Sector: 8 } as const;

/** Discard / write-zeroes segment: le64 sector, le32 num_sectors, le32 flags. */
export const BlkRangeSegment = { Size: 16, Sector: 0, NumSectors: 8, Flags: 12 } as const;
export const BlkRangeFlag = { Unmap: 1 } as const;

export const BLK_STATUS_BYTES = 1;
/** GET_ID answer: the serial, NUL-padded (not terminated when it is exactly this long). */
export const BLK_ID_BYTES = 20;

export const BLK_MIN_BLOCK_SIZE = 512;
export const BLK_MAX_BLOCK_SIZE = 65536;
