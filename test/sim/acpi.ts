/**
 * Firmware tables for the simulated machine: an RSDP in the BIOS area pointing at an RSDT that
 * lists one MADT, which describes the single I/O APIC and how ISA IRQs reach its inputs.
 */
export const BIOS_AREA_BASE = 0xe0000;
export const BIOS_AREA_SIZE = 0x20000;
export const SIM_IO_APIC_ADDRESS = 0xfec0_0000;
export const SIM_IO_APIC_ID = 0;

/** Where the tables sit inside the BIOS area (the RSDP on a 16-byte boundary, as the spec wants). */
const RSDP_OFFSET = 0x1_0000;
const RSDT_OFFSET = 0x1_0100;
const MADT_OFFSET = 0x1_0200;

const HEADER_LENGTH = 36;
const RSDP_V1_LENGTH = 20;
const MADT_LOCAL_APIC_ADDRESS = 0xfee0_0000;
const MADT_FLAGS_PCAT_COMPAT = 1;
const ENTRY_IO_APIC = 1;
const ENTRY_OVERRIDE = 2;
const IO_APIC_ENTRY_LENGTH = 12;
const OVERRIDE_ENTRY_LENGTH = 10;
/** MPS INTI flags: polarity bits 1:0 (1 high, 3 low), trigger bits 3:2 (1 edge, 3 level). */
const INTI_CONFORMING = 0;
const INTI_LEVEL_HIGH = 0b1101;

/** The wiring of an I/O APIC input. */
export interface SimWire {
  readonly levelTriggered: boolean;
  readonly activeLow: boolean;
}

export interface SimOverride {
  readonly isaIrq: number;
  readonly gsi: number;
  readonly flags: number;
}

/** As QEMU's i440fx board: the timer on GSI 2, the PCI link IRQs level-triggered, active high. */
export const SIM_OVERRIDES: readonly SimOverride[] = [
  { isaIrq: 0, gsi: 2, flags: INTI_CONFORMING },
  { isaIrq: 10, gsi: 10, flags: INTI_LEVEL_HIGH },
  { isaIrq: 11, gsi: 11, flags: INTI_LEVEL_HIGH },
];

/** GSIs with no override are ISA inputs (edge, active high), except the PCI lines 12..15 (level, active low). */
const FIRST_DEFAULT_PCI_GSI = 12;

export function simWire(gsi: number): SimWire {
  const override = SIM_OVERRIDES.find((o) => o.gsi === gsi);
  if (override !== undefined && override.flags === INTI_LEVEL_HIGH) return { levelTriggered: true, activeLow: false };
  if (override !== undefined) return { levelTriggered: false, activeLow: false };
  const pci = gsi >= FIRST_DEFAULT_PCI_GSI && gsi < 16;
  return { levelTriggered: pci, activeLow: pci };
}

function ascii(bytes: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
}

function fixChecksum(bytes: Uint8Array, offset: number, length: number, checksumAt: number): void {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += bytes[offset + i];
  bytes[offset + checksumAt] = (256 - (sum & 0xff)) & 0xff;
}

function header(bytes: Uint8Array, offset: number, signature: string, length: number): DataView {
  const view = new DataView(bytes.buffer, offset, length);
  ascii(bytes, offset, signature);
  view.setUint32(4, length, true);
  view.setUint8(8, 1);
  ascii(bytes, offset + 10, "VIREO ");
  return view;
}

/** The BIOS area (BIOS_AREA_BASE, BIOS_AREA_SIZE bytes) with the tables in place. */
export function buildBiosArea(): Uint8Array {
  const area = new Uint8Array(BIOS_AREA_SIZE);

  const madtLength = 44 + IO_APIC_ENTRY_LENGTH + SIM_OVERRIDES.length * OVERRIDE_ENTRY_LENGTH;
  const madt = header(area, MADT_OFFSET, "APIC", madtLength);
  madt.setUint32(36, MADT_LOCAL_APIC_ADDRESS, true);
  madt.setUint32(40, MADT_FLAGS_PCAT_COMPAT, true);
  let at = 44;
  madt.setUint8(at, ENTRY_IO_APIC);
  madt.setUint8(at + 1, IO_APIC_ENTRY_LENGTH);
  madt.setUint8(at + 2, SIM_IO_APIC_ID);
  madt.setUint32(at + 4, SIM_IO_APIC_ADDRESS, true);
  madt.setUint32(at + 8, 0, true);
  at += IO_APIC_ENTRY_LENGTH;
  for (const o of SIM_OVERRIDES) {
    madt.setUint8(at, ENTRY_OVERRIDE);
    madt.setUint8(at + 1, OVERRIDE_ENTRY_LENGTH);
    madt.setUint8(at + 3, o.isaIrq);
    madt.setUint32(at + 4, o.gsi, true);
    madt.setUint16(at + 8, o.flags, true);
    at += OVERRIDE_ENTRY_LENGTH;
  }
  fixChecksum(area, MADT_OFFSET, madtLength, 9);

  const rsdtLength = HEADER_LENGTH + 4;
  const rsdt = header(area, RSDT_OFFSET, "RSDT", rsdtLength);
  rsdt.setUint32(HEADER_LENGTH, BIOS_AREA_BASE + MADT_OFFSET, true);
  fixChecksum(area, RSDT_OFFSET, rsdtLength, 9);

  const rsdp = new DataView(area.buffer, RSDP_OFFSET, RSDP_V1_LENGTH);
  ascii(area, RSDP_OFFSET, "RSD PTR ");
  ascii(area, RSDP_OFFSET + 9, "VIREO ");
  rsdp.setUint8(15, 0);
  rsdp.setUint32(16, BIOS_AREA_BASE + RSDT_OFFSET, true);
  fixChecksum(area, RSDP_OFFSET, RSDP_V1_LENGTH, 8);
  return area;
}
