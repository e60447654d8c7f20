/**
 * ACPI table discovery: the RSDP in the BIOS area, then the RSDT or XSDT, each table checked
 * by signature, length and checksum before any field is used.
 */
import { FOUR_GIB, type Platform } from "../platform";

const BIOS_AREA_START = 0xe0000;
const BIOS_AREA_END = 0x100000;
const RSDP_ALIGN = 16;
const RSDP_SIGNATURE_BYTES = Uint8Array.from("RSD PTR ", (c) => c.charCodeAt(0));
const RSDP_V1_LENGTH = 20;
const RSDP_V2_LENGTH = 36;
const RSDP_REVISION = 15;
const RSDP_RSDT_ADDRESS = 16;
const RSDP_LENGTH = 20;
const RSDP_XSDT_ADDRESS = 24;
const HEADER_LENGTH = 36;
const HEADER_TABLE_LENGTH = 4;
const MAX_TABLE_LENGTH = 1 << 20;
const RSDT_ENTRY = 4;
const XSDT_ENTRY = 8;

export class AcpiError extends Error {
  override name = "AcpiError";
}

/** A checked table: `bytes` covers exactly its `length`. */
export interface AcpiTable {
  readonly signature: string;
  readonly address: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function checksumOk(bytes: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum = (sum + bytes[i]) & 0xff;
  return sum === 0;
}

function signatureAt(area: Uint8Array, offset: number): boolean {
  for (let i = 0; i < RSDP_SIGNATURE_BYTES.length; i++) if (area[offset + i] !== RSDP_SIGNATURE_BYTES[i]) return false;
  return true;
}

/** An RSDP at `offset` of `area`: its signature, and its first 20 bytes summing to zero. */
function rsdpAt(area: Uint8Array, offset: number): boolean {
  return signatureAt(area, offset) && checksumOk(area.subarray(offset, offset + RSDP_V1_LENGTH));
}

/**
 * The RSDP where the boot protocol says it is (PVH's rsdp_paddr); a pointer that does not lead to
 * one is passed over for the search of the BIOS area.
 */
function givenRsdp(platform: Platform): DataView | undefined {
  const address = platform.rsdpAddress;
  if (address === undefined || address + RSDP_V2_LENGTH > FOUR_GIB) return undefined;
  const bytes = new Uint8Array(platform.physicalView(address, RSDP_V2_LENGTH));
  return rsdpAt(bytes, 0) ? new DataView(bytes.buffer, bytes.byteOffset, RSDP_V2_LENGTH) : undefined;
}

/**
 * The RSDP the boot protocol gives, or else the one in the BIOS area. The engine's native indexOf
 * finds each candidate's first byte, so the interpreted loop runs only at those few places rather
 * than at all 8192 aligned offsets (a scan that made a string at each one took a fifth of a second
 * under emulation).
 */
function findRsdp(platform: Platform): DataView | undefined {
  const given = givenRsdp(platform);
  if (given !== undefined) return given;
  const area = new Uint8Array(platform.physicalView(BIOS_AREA_START, BIOS_AREA_END - BIOS_AREA_START));
  const first = RSDP_SIGNATURE_BYTES[0];
  for (let offset = area.indexOf(first); offset >= 0 && offset + RSDP_V2_LENGTH <= area.length; offset = area.indexOf(first, offset + 1)) {
    if (offset % RSDP_ALIGN !== 0 || !rsdpAt(area, offset)) continue;
    return new DataView(area.buffer, area.byteOffset + offset, RSDP_V2_LENGTH);
  }
  return undefined;
}

/** Whether the firmware publishes ACPI at all (microvm with acpi=off and Firecracker may not). */
export function hasAcpi(platform: Platform): boolean {
  return findRsdp(platform) !== undefined;
}

export function readTable(platform: Platform, address: number): AcpiTable {
  if (address === 0) throw new AcpiError("ACPI table pointer is null");
  const header = new DataView(platform.physicalView(address, HEADER_LENGTH));
  const length = header.getUint32(HEADER_TABLE_LENGTH, true);
  if (length < HEADER_LENGTH || length > MAX_TABLE_LENGTH)
    throw new AcpiError(`ACPI table at 0x${address.toString(16)} has a bad length ${length}`);
  const bytes = new Uint8Array(platform.physicalView(address, length));
  const signature = ascii(bytes, 0, 4);
  if (!checksumOk(bytes)) throw new AcpiError(`ACPI table ${signature} fails its checksum`);
  return { signature, address, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, length) };
}

/** Every table the RSDT/XSDT lists (the DSDT is not among them: see readDsdt). */
export function readAcpiTables(platform: Platform): AcpiTable[] {
  const rsdp = findRsdp(platform);
  if (rsdp === undefined) throw new AcpiError("no ACPI RSDP in the BIOS area");
  const revision = rsdp.getUint8(RSDP_REVISION);
  const useXsdt = revision >= 2 && rsdp.getUint32(RSDP_LENGTH, true) >= RSDP_V2_LENGTH;
  const rootAddress = useXsdt
    ? Number(rsdp.getBigUint64(RSDP_XSDT_ADDRESS, true))
    : rsdp.getUint32(RSDP_RSDT_ADDRESS, true);
  const root = readTable(platform, rootAddress);
  const entry = useXsdt ? XSDT_ENTRY : RSDT_ENTRY;
  const tables: AcpiTable[] = [];
  for (let offset = HEADER_LENGTH; offset + entry <= root.bytes.length; offset += entry) {
    const address = useXsdt ? Number(root.view.getBigUint64(offset, true)) : root.view.getUint32(offset, true);
    tables.push(readTable(platform, address));
  }
  return tables;
}

const FADT_SIGNATURE = "FACP";
const DSDT_SIGNATURE = "DSDT";
const FADT_DSDT = 40;
const FADT_X_DSDT = 140;
const FADT_X_DSDT_END = FADT_X_DSDT + 8;

/**
 * The DSDT, which the FADT points at (its 64-bit X_DSDT field when present and set); undefined
 * when the tables hold no FADT (minimal tables with only a MADT, as some monitors write).
 */
export function readDsdt(platform: Platform, tables: readonly AcpiTable[]): AcpiTable | undefined {
  const fadt = tables.find((t) => t.signature === FADT_SIGNATURE);
  if (fadt === undefined) return undefined;
  const wide = fadt.bytes.length >= FADT_X_DSDT_END ? Number(fadt.view.getBigUint64(FADT_X_DSDT, true)) : 0;
  const address = wide !== 0 ? wide : fadt.bytes.length >= FADT_DSDT + 4 ? fadt.view.getUint32(FADT_DSDT, true) : 0;
  const dsdt = readTable(platform, address);
  if (dsdt.signature !== DSDT_SIGNATURE) throw new AcpiError(`the FADT's DSDT pointer leads to a ${dsdt.signature} table`);
  return dsdt;
}
