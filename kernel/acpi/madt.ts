/** The MADT ("APIC" table): I/O APICs and how ISA interrupts map to global system interrupts. */
import { AcpiError, type AcpiTable } from "./tables";

const MADT_SIGNATURE = "APIC";
const FIRST_ENTRY = 44;
const ENTRY_TYPE = 0;
const ENTRY_LENGTH = 1;
const ENTRY_IO_APIC = 1;
const ENTRY_SOURCE_OVERRIDE = 2;
const IO_APIC_ID = 2;
const IO_APIC_ADDRESS = 4;
const IO_APIC_GSI_BASE = 8;
const IO_APIC_ENTRY_LENGTH = 12;
const OVERRIDE_SOURCE = 3;
const OVERRIDE_GSI = 4;
const OVERRIDE_FLAGS = 8;
const OVERRIDE_ENTRY_LENGTH = 10;
const POLARITY_MASK = 0b11;
const POLARITY_ACTIVE_LOW = 0b11;
const TRIGGER_SHIFT = 2;
const TRIGGER_MASK = 0b11;
const TRIGGER_LEVEL = 0b11;

export interface IoApicEntry {
  readonly id: number;
  readonly address: number;
  readonly gsiBase: number;
}

export interface SourceOverride {
  readonly isaIrq: number;
  readonly gsi: number;
  /** Undefined means "as the bus says" (ISA: edge, active high). */
  readonly activeLow?: boolean;
  readonly levelTriggered?: boolean;
}

export interface Madt {
  readonly ioApics: IoApicEntry[];
  readonly overrides: SourceOverride[];
}

export function parseMadt(tables: readonly AcpiTable[]): Madt {
  const table = tables.find((t) => t.signature === MADT_SIGNATURE);
  if (table === undefined) throw new AcpiError("no MADT (APIC) table");
  const { view } = table;
  const ioApics: IoApicEntry[] = [];
  const overrides: SourceOverride[] = [];
  for (let offset = FIRST_ENTRY; offset + 2 <= view.byteLength; ) {
    const type = view.getUint8(offset + ENTRY_TYPE);
    const length = view.getUint8(offset + ENTRY_LENGTH);
    if (length < 2 || offset + length > view.byteLength) throw new AcpiError(`MADT entry at ${offset} has a bad length ${length}`);
    if (type === ENTRY_IO_APIC && length >= IO_APIC_ENTRY_LENGTH) {
      ioApics.push({
        id: view.getUint8(offset + IO_APIC_ID),
        address: view.getUint32(offset + IO_APIC_ADDRESS, true),
        gsiBase: view.getUint32(offset + IO_APIC_GSI_BASE, true),
      });
    } else if (type === ENTRY_SOURCE_OVERRIDE && length >= OVERRIDE_ENTRY_LENGTH) {
      const flags = view.getUint16(offset + OVERRIDE_FLAGS, true);
      const polarity = flags & POLARITY_MASK;
      const trigger = (flags >> TRIGGER_SHIFT) & TRIGGER_MASK;
      overrides.push({
        isaIrq: view.getUint8(offset + OVERRIDE_SOURCE),
        gsi: view.getUint32(offset + OVERRIDE_GSI, true),
        activeLow: polarity === 0 ? undefined : polarity === POLARITY_ACTIVE_LOW,
        levelTriggered: trigger === 0 ? undefined : trigger === TRIGGER_LEVEL,
      });
    }
    offset += length;
  }
  if (ioApics.length === 0) throw new AcpiError("the MADT lists no I/O APIC");
  return { ioApics, overrides };
}
