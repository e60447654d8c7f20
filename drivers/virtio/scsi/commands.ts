/**
 * SCSI command descriptor blocks the driver sends (SPC-4, SBC-3), written big-endian into a CDB
 * buffer. Each builder fills the whole CDB it writes; the caller zeroes the rest of cdb_size.
 */

export const ScsiOp = {
  TestUnitReady: 0x00,
  Inquiry: 0x12,
  ModeSense6: 0x1a,
  ReadCapacity10: 0x25,
  Read10: 0x28,
  Write10: 0x2a,
  SynchronizeCache10: 0x35,
  Unmap: 0x42,
  Read16: 0x88,
  Write16: 0x8a,
  ServiceActionIn16: 0x9e,
  ReportLuns: 0xa0,
} as const;

/** SERVICE ACTION IN(16) service action for READ CAPACITY(16). */
const READ_CAPACITY_16_ACTION = 0x10;
/** INQUIRY byte 1: return the vital product data page named in byte 2. */
const INQUIRY_EVPD = 0x01;
/** MODE SENSE(6) byte 1: no block descriptors. */
const MODE_SENSE_DBD = 0x08;
/** MODE SENSE(6) page code 0x3f: every page, current values. */
export const MODE_PAGE_ALL = 0x3f;

export const CdbLength = { Six: 6, Ten: 10, Twelve: 12, Sixteen: 16 } as const;
/** Largest transfer READ(10)/WRITE(10) carry, in blocks; beyond it (or past 2^32 blocks) the 16-byte forms. */
export const MAX_BLOCKS_10 = 0xffff;
export const MAX_LBA_10 = 0xffff_ffff;
const TWO_POW_32 = 0x1_0000_0000;

function setUint64(cdb: DataView, at: number, value: number): void {
  cdb.setUint32(at, Math.floor(value / TWO_POW_32));
  cdb.setUint32(at + 4, value >>> 0);
}

export function testUnitReady(cdb: DataView): number {
  cdb.setUint8(0, ScsiOp.TestUnitReady);
  return CdbLength.Six;
}

/** Standard INQUIRY data, or the VPD page `page` when given. */
export function inquiry(cdb: DataView, allocation: number, page?: number): number {
  cdb.setUint8(0, ScsiOp.Inquiry);
  cdb.setUint8(1, page === undefined ? 0 : INQUIRY_EVPD);
  cdb.setUint8(2, page ?? 0);
  cdb.setUint16(3, allocation);
  return CdbLength.Six;
}

export function reportLuns(cdb: DataView, allocation: number): number {
  cdb.setUint8(0, ScsiOp.ReportLuns);
  cdb.setUint32(6, allocation);
  return CdbLength.Twelve;
}

export function readCapacity10(cdb: DataView): number {
  cdb.setUint8(0, ScsiOp.ReadCapacity10);
  return CdbLength.Ten;
}

export function readCapacity16(cdb: DataView, allocation: number): number {
  cdb.setUint8(0, ScsiOp.ServiceActionIn16);
  cdb.setUint8(1, READ_CAPACITY_16_ACTION);
  cdb.setUint32(10, allocation);
  return CdbLength.Sixteen;
}

export function modeSense6(cdb: DataView, page: number, allocation: number): number {
  cdb.setUint8(0, ScsiOp.ModeSense6);
  cdb.setUint8(1, MODE_SENSE_DBD);
  cdb.setUint8(2, page);
  cdb.setUint8(4, allocation);
  return CdbLength.Six;
}

/** READ or WRITE of `blocks` at `lba`, in the 10-byte form when it fits, otherwise the 16-byte one. */
export function readWrite(cdb: DataView, write: boolean, lba: number, blocks: number): number {
  if (lba + blocks - 1 <= MAX_LBA_10 && blocks <= MAX_BLOCKS_10) {
    cdb.setUint8(0, write ? ScsiOp.Write10 : ScsiOp.Read10);
    cdb.setUint8(1, 0);
    cdb.setUint32(2, lba);
    cdb.setUint8(6, 0);
    cdb.setUint16(7, blocks);
    cdb.setUint8(9, 0);
    return CdbLength.Ten;
  }
  cdb.setUint8(0, write ? ScsiOp.Write16 : ScsiOp.Read16);
  cdb.setUint8(1, 0);
  setUint64(cdb, 2, lba);
  cdb.setUint32(10, blocks);
  cdb.setUint16(14, 0);
  return CdbLength.Sixteen;
}

/** SYNCHRONIZE CACHE(10) of the whole medium (number of blocks 0). */
export function synchronizeCache(cdb: DataView): number {
  cdb.setUint8(0, ScsiOp.SynchronizeCache10);
  return CdbLength.Ten;
}

/** UNMAP with a parameter list of `parameterBytes` (see `unmapParameters`). */
export function unmap(cdb: DataView, parameterBytes: number): number {
  cdb.setUint8(0, ScsiOp.Unmap);
  cdb.setUint16(7, parameterBytes);
  return CdbLength.Ten;
}

/** UNMAP parameter list: header (data length, block descriptor data length) and one descriptor. */
export const UnmapList = { DataLength: 0, DescriptorLength: 2, Lba: 8, Blocks: 16, Size: 24, DescriptorSize: 16 } as const;

export function unmapParameters(list: DataView, lba: number, blocks: number): number {
  list.setUint16(UnmapList.DataLength, UnmapList.Size - 2);
  list.setUint16(UnmapList.DescriptorLength, UnmapList.DescriptorSize);
  list.setUint32(4, 0);
  setUint64(list, UnmapList.Lba, lba);
  list.setUint32(UnmapList.Blocks, blocks);
  list.setUint32(UnmapList.Blocks + 4, 0);
  return UnmapList.Size;
}

/** The operation code's name, for error messages. */
export function opName(op: number): string {
  for (const [name, value] of Object.entries(ScsiOp)) if (value === op) return name;
  return `op 0x${op.toString(16)}`;
}
