/** virtio-blk (device type 2) registers and wire formats, from the virtio 1.x specification. */

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

/** Device configuration offsets. */
export const BlkConfigOffset = {
  Capacity: 0,
  SizeMax: 8,
  SegMax: 12,
  BlkSize: 20,
  PhysicalBlockExp: 24,
  AlignmentOffset: 25,
  MinIoSize: 26,
  OptIoSize: 28,
  Writeback: 32,
  NumQueues: 34,
  MaxDiscardSectors: 36,
  MaxDiscardSeg: 40,
  DiscardSectorAlignment: 44,
  MaxWriteZeroesSectors: 48,
  MaxWriteZeroesSeg: 52,
  WriteZeroesMayUnmap: 56,
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
