// Finding the RSDP in the BIOS area: only a signature on a 16-byte boundary whose first 20 bytes
// sum to zero counts, wherever else the signature's bytes appear.
import { describe, expect, it } from "vitest";
import { hasAcpi, readAcpiTables } from "../../kernel/acpi/tables";
import type { Platform } from "../../kernel/platform";

const BIOS_AREA = 0xe0000;
const BIOS_AREA_BYTES = 0x20000;
const RSDT_ADDRESS = 0x10_0000;
/** Where the decoys point: no table there, so taking one fails. */
const NOWHERE = 0x200_0000;
/** Where PVH's rsdp_paddr points in these tests: below the BIOS area, as a monitor may place it. */
const GIVEN_ADDRESS = 0x9_f000;
const bytesOf = (text: string) => [...text].map((c) => c.charCodeAt(0));
const le32 = (value: number) => [0, 1, 2, 3].map((i) => (value >>> (8 * i)) & 0xff);

/** A revision-0 RSDP pointing at `rsdt`; `checksum` false leaves its sum wrong. */
function rsdp(rsdt: number, checksum = true): number[] {
  const bytes = [...bytesOf("RSD PTR "), 0, ...bytesOf("VIREO "), 0, ...le32(rsdt)];
  const sum = bytes.reduce((a, b) => a + b, 0);
  bytes[8] = ((checksum ? 256 : 257) - (sum & 0xff)) & 0xff;
  return [...bytes, ...new Array<number>(16).fill(0)];
}

/** An empty RSDT (a header only) at `address`. */
function rsdt(): Uint8Array {
  const bytes = new Uint8Array(36);
  bytes.set(bytesOf("RSDT"));
  new DataView(bytes.buffer).setUint32(4, bytes.length, true);
  const sum = bytes.reduce((a, b) => a + b, 0);
  bytes[9] = (256 - (sum & 0xff)) & 0xff;
  return bytes;
}

/** Memory with `area` as the BIOS area, an RSDT, and `given` at GIVEN_ADDRESS, the address the boot protocol passes. */
function platformWith(area: Uint8Array, given?: Uint8Array): Platform {
  const regions = new Map<number, Uint8Array>([[BIOS_AREA, area], [RSDT_ADDRESS, rsdt()]]);
  if (given !== undefined) regions.set(GIVEN_ADDRESS, given);
  const physicalView = (address: number, length: number): ArrayBuffer => {
    for (const [base, bytes] of regions) {
      if (address >= base && address + length <= base + bytes.length) return bytes.slice(address - base, address - base + length).buffer;
    }
    throw new RangeError(`nothing at 0x${address.toString(16)}`);
  };
  const rsdpAddress = given === undefined ? undefined : GIVEN_ADDRESS;
  return { physicalView, mapPhysical: () => {}, rsdpAddress } as unknown as Platform;
}

describe("RSDP search", () => {
  it("passes over the signature off a 16-byte boundary and with a bad checksum, and takes the good one after them", () => {
    const area = new Uint8Array(BIOS_AREA_BYTES).fill(bytesOf("R")[0]!, 0, 0x100);
    area.set(rsdp(NOWHERE), 0x208);
    area.set(rsdp(NOWHERE, false), 0x300);
    area.set(rsdp(RSDT_ADDRESS), 0x1_2340);
    const platform = platformWith(area);
    expect(hasAcpi(platform)).toBe(true);
    expect(readAcpiTables(platform)).toEqual([]);
  });

  it("finds nothing when no aligned signature sums to zero", () => {
    const area = new Uint8Array(BIOS_AREA_BYTES);
    area.set(rsdp(RSDT_ADDRESS), 0x208);
    area.set(rsdp(RSDT_ADDRESS, false), 0x300);
    expect(hasAcpi(platformWith(area))).toBe(false);
  });

  it("does not take a signature too close to the end of the area for a whole RSDP", () => {
    const area = new Uint8Array(BIOS_AREA_BYTES);
    area.set(rsdp(RSDT_ADDRESS).slice(0, 32), BIOS_AREA_BYTES - 32);
    expect(hasAcpi(platformWith(area))).toBe(false);
  });
});

describe("RSDP from the boot protocol (PVH rsdp_paddr)", () => {
  it("takes the RSDP at the given address, outside the BIOS area", () => {
    const platform = platformWith(new Uint8Array(BIOS_AREA_BYTES), Uint8Array.from(rsdp(RSDT_ADDRESS)));
    expect(hasAcpi(platform)).toBe(true);
    expect(readAcpiTables(platform)).toEqual([]);
  });

  it("searches the BIOS area when the given address holds no RSDP (a bad checksum)", () => {
    const area = new Uint8Array(BIOS_AREA_BYTES);
    area.set(rsdp(RSDT_ADDRESS), 0x1_0000);
    const platform = platformWith(area, Uint8Array.from(rsdp(NOWHERE, false)));
    expect(readAcpiTables(platform)).toEqual([]);
    expect(hasAcpi(platformWith(new Uint8Array(BIOS_AREA_BYTES), Uint8Array.from(rsdp(NOWHERE, false))))).toBe(false);
  });
});
