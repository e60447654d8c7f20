/**
 * Parsers for what logical units return (SPC-4, SBC-3): standard INQUIRY, VPD pages, REPORT LUNS,
 * READ CAPACITY, MODE SENSE. Every one reads only within `length` (the bytes the device actually
 * returned) and refuses values a disk may not have; a refusal is a string saying why.
 */

/** INQUIRY: peripheral qualifier 0 (connected) and device type 0 (direct access block device). */
const PERIPHERAL_QUALIFIER_SHIFT = 5;
const PERIPHERAL_TYPE_MASK = 0x1f;
export const DIRECT_ACCESS_DEVICE = 0x00;
const StandardInquiry = { Vendor: 8, Product: 16, Revision: 32, End: 36 } as const;
/** Allocation lengths the driver asks with. */
export const INQUIRY_BYTES = 96;
export const VPD_BYTES = 252;
export const READ_CAPACITY_16_BYTES = 32;
export const READ_CAPACITY_10_BYTES = 8;
export const MODE_SENSE_BYTES = 252;

export const VpdPage = { Supported: 0x00, UnitSerial: 0x80, BlockLimits: 0xb0, Provisioning: 0xb2 } as const;
/** VPD page header: page code at 1, page length (big-endian) at 2, data from 4. */
const VPD_HEADER_BYTES = 4;

export interface StandardInquiryData {
  readonly qualifier: number;
  readonly deviceType: number;
  readonly vendor: string;
  readonly product: string;
}

function text(bytes: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    // Printable ASCII only; SPC says these fields are space padded, some devices pad with NUL.
    if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
  }
  return out.trim();
}

export function parseInquiry(bytes: Uint8Array, length: number): StandardInquiryData | string {
  if (length < 1) return "empty INQUIRY data";
  const end = Math.min(length, StandardInquiry.End);
  return {
    qualifier: bytes[0] >> PERIPHERAL_QUALIFIER_SHIFT,
    deviceType: bytes[0] & PERIPHERAL_TYPE_MASK,
    vendor: end > StandardInquiry.Vendor ? text(bytes, StandardInquiry.Vendor, Math.min(end, StandardInquiry.Product)) : "",
    product: end > StandardInquiry.Product ? text(bytes, StandardInquiry.Product, Math.min(end, StandardInquiry.Revision)) : "",
  };
}

/** The page's data bytes within what was returned, or why there are none. */
function vpdBody(bytes: Uint8Array, length: number, page: number): Uint8Array | string {
  if (length < VPD_HEADER_BYTES) return `VPD page 0x${page.toString(16)}: ${length} bytes`;
  if (bytes[1] !== page) return `VPD page 0x${page.toString(16)} answered with page 0x${bytes[1].toString(16)}`;
  const pageLength = (bytes[2] << 8) | bytes[3];
  return bytes.subarray(VPD_HEADER_BYTES, Math.min(length, VPD_HEADER_BYTES + pageLength));
}

export function parseSupportedPages(bytes: Uint8Array, length: number): Set<number> | string {
  const body = vpdBody(bytes, length, VpdPage.Supported);
  return typeof body === "string" ? body : new Set(body);
}

export function parseUnitSerial(bytes: Uint8Array, length: number): string {
  const body = vpdBody(bytes, length, VpdPage.UnitSerial);
  return typeof body === "string" ? body : text(body, 0, body.length);
}

export interface BlockLimitsData {
  /** Most blocks per READ/WRITE; 0: no limit given. */
  readonly maxTransferBlocks: number;
  /** Most blocks per UNMAP descriptor; 0: UNMAP not supported. */
  readonly maxUnmapBlocks: number;
  readonly maxUnmapDescriptors: number;
}

const BlockLimits = { MaxTransfer: 4, MaxUnmapBlocks: 16, MaxUnmapDescriptors: 20, End: 24 } as const;

export function parseBlockLimits(bytes: Uint8Array, length: number): BlockLimitsData | string {
  const body = vpdBody(bytes, length, VpdPage.BlockLimits);
  if (typeof body === "string") return body;
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const at = (offset: number) => (body.length >= offset + 4 ? view.getUint32(offset) : 0);
  return {
    maxTransferBlocks: at(BlockLimits.MaxTransfer),
    maxUnmapBlocks: at(BlockLimits.MaxUnmapBlocks),
    maxUnmapDescriptors: at(BlockLimits.MaxUnmapDescriptors),
  };
}

/** Logical Block Provisioning page: whether UNMAP is supported (LBPU, byte 5 bit 7 of the page). */
const LBPU_BYTE = 1;
const LBPU_BIT = 0x80;

export function parseProvisioningUnmap(bytes: Uint8Array, length: number): boolean | string {
  const body = vpdBody(bytes, length, VpdPage.Provisioning);
  if (typeof body === "string") return body;
  return body.length > LBPU_BYTE && (body[LBPU_BYTE] & LBPU_BIT) !== 0;
}

export interface CapacityData {
  readonly blocks: number;
  readonly blockSize: number;
  /** Logical blocks per physical block (a power of two). */
  readonly blocksPerPhysical: number;
  readonly lowestAlignedLba: number;
}

export const MIN_BLOCK_SIZE = 512;
export const MAX_BLOCK_SIZE = 65536;
const Capacity16 = { LastLba: 0, BlockLength: 8, Exponent: 13, Aligned: 14, End: 16 } as const;
const EXPONENT_MASK = 0x0f;
const ALIGNED_HIGH_MASK = 0x3f;
const MAX_PHYSICAL_EXPONENT = 8;
const TWO_POW_32 = 0x1_0000_0000;
/** READ CAPACITY(10)'s last LBA when the medium is larger than it can say. */
export const CAPACITY_10_OVERFLOW = 0xffff_ffff;

function checkCapacity(lastLba: number, blockSize: number): string | undefined {
  if (!(blockSize >= MIN_BLOCK_SIZE && blockSize <= MAX_BLOCK_SIZE && (blockSize & (blockSize - 1)) === 0)) return `block length ${blockSize}`;
  if (!Number.isSafeInteger((lastLba + 1) * blockSize)) return `capacity of ${lastLba + 1} blocks is too large`;
  return undefined;
}

export function parseCapacity16(bytes: Uint8Array, length: number): CapacityData | string {
  if (length < Capacity16.End) return `READ CAPACITY(16) returned ${length} bytes`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const lastLba = view.getUint32(Capacity16.LastLba) * TWO_POW_32 + view.getUint32(Capacity16.LastLba + 4);
  const blockSize = view.getUint32(Capacity16.BlockLength);
  const problem = checkCapacity(lastLba, blockSize);
  if (problem !== undefined) return problem;
  const exponent = bytes[Capacity16.Exponent] & EXPONENT_MASK;
  if (exponent > MAX_PHYSICAL_EXPONENT) return `logical blocks per physical block exponent ${exponent}`;
  const lowestAlignedLba = ((bytes[Capacity16.Aligned] & ALIGNED_HIGH_MASK) << 8) | bytes[Capacity16.Aligned + 1];
  return { blocks: lastLba + 1, blockSize, blocksPerPhysical: 1 << exponent, lowestAlignedLba };
}

export function parseCapacity10(bytes: Uint8Array, length: number): CapacityData | string {
  if (length < READ_CAPACITY_10_BYTES) return `READ CAPACITY(10) returned ${length} bytes`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const lastLba = view.getUint32(0);
  const blockSize = view.getUint32(4);
  const problem = checkCapacity(lastLba, blockSize);
  return problem ?? { blocks: lastLba + 1, blockSize, blocksPerPhysical: 1, lowestAlignedLba: 0 };
}

/** MODE SENSE(6): header (data length, medium type, device-specific parameter, block descriptor length), then pages. */
const ModeHeader6 = { DataLength: 0, DeviceSpecific: 2, BlockDescriptorLength: 3, Size: 4 } as const;
const WRITE_PROTECT_BIT = 0x80;
const PAGE_CODE_MASK = 0x3f;
const CACHING_PAGE = 0x08;
const CACHING_WCE_BYTE = 2;
const CACHING_WCE_BIT = 0x04;
const PAGE_HEADER_BYTES = 2;

export interface ModeData {
  readonly writeProtected: boolean;
  /** The caching page's WCE bit; undefined when the page was not returned. */
  readonly writeCache: boolean | undefined;
}

export function parseModeSense6(bytes: Uint8Array, length: number): ModeData | string {
  if (length < ModeHeader6.Size) return `MODE SENSE(6) returned ${length} bytes`;
  const end = Math.min(length, bytes[ModeHeader6.DataLength] + 1);
  let writeCache: boolean | undefined;
  // Each page advances by its own length (at least its header): the walk ends within `end`.
  for (let at = ModeHeader6.Size + bytes[ModeHeader6.BlockDescriptorLength]; at + PAGE_HEADER_BYTES <= end; at += PAGE_HEADER_BYTES + bytes[at + 1]) {
    if ((bytes[at] & PAGE_CODE_MASK) === CACHING_PAGE && at + CACHING_WCE_BYTE < end) writeCache = (bytes[at + CACHING_WCE_BYTE] & CACHING_WCE_BIT) !== 0;
  }
  return { writeProtected: (bytes[ModeHeader6.DeviceSpecific] & WRITE_PROTECT_BIT) !== 0, writeCache };
}

/** REPORT LUNS: LUN list length (big-endian) at 0, four reserved bytes, then 8-byte LUNs. */
const ReportLuns = { ListLength: 0, First: 8, Entry: 8 } as const;
const ADDRESS_METHOD_SHIFT = 6;
const AddressMethod = { Peripheral: 0, Flat: 1 } as const;
const LUN_LOW_BITS = 0x3f;

/**
 * The single-level LUNs of the list within the returned bytes (peripheral or flat addressing);
 * hierarchical and extended addresses, which this driver cannot address, are skipped.
 */
export function parseReportLuns(bytes: Uint8Array, length: number): number[] | string {
  if (length < ReportLuns.First) return `REPORT LUNS returned ${length} bytes`;
  const listed = new DataView(bytes.buffer, bytes.byteOffset, length).getUint32(ReportLuns.ListLength);
  const end = Math.min(length, ReportLuns.First + listed);
  const luns: number[] = [];
  for (let at = ReportLuns.First; at + ReportLuns.Entry <= end; at += ReportLuns.Entry) {
    let rest = 0;
    for (let i = 2; i < ReportLuns.Entry; i++) rest |= bytes[at + i];
    const method = bytes[at] >> ADDRESS_METHOD_SHIFT;
    const high = bytes[at] & LUN_LOW_BITS;
    if (rest !== 0) continue;
    if (method === AddressMethod.Peripheral && high === 0) luns.push(bytes[at + 1]);
    else if (method === AddressMethod.Flat) luns.push((high << 8) | bytes[at + 1]);
  }
  return luns;
}
