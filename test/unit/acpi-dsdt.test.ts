// The DSDT walk that finds virtio-mmio devices when ACPI is on: AML scopes and devices, their
// _CRS resource templates, and the discovery that joins them with the command line's words.
import { describe, expect, it } from "vitest";
import { walkAmlDevices } from "../../kernel/acpi/aml";
import { parseResources } from "../../kernel/acpi/resources";
import { AcpiError, readAcpiTables, readDsdt, type AcpiTable } from "../../kernel/acpi/tables";
import { CommandLine } from "../../kernel/command-line";
import { virtioMmioFromAcpi } from "../../kernel/mmio/acpi";
import { discoverVirtioMmio, formatMmioProblems, formatMmioWindow } from "../../kernel/mmio/discover";
import type { Platform } from "../../kernel/platform";

const bytesOf = (text: string) => [...text].map((c) => c.charCodeAt(0));
const le = (value: number, count: number) => Array.from({ length: count }, (_, i) => Math.floor(value / 2 ** (8 * i)) & 0xff);

/** PkgLength encoding of a package whose content is `content` bytes long (the length counts itself). */
function pkg(content: number[]): number[] {
  if (content.length + 1 < 0x40) return [content.length + 1, ...content];
  const total = content.length + 2;
  if (total >= 0x1000) throw new RangeError("test packages stay under 4 KiB");
  return [0x40 | (total & 0x0f), total >> 4, ...content];
}

const name = (seg: string) => bytesOf(seg.padEnd(4, "_"));
const scope = (path: number[], body: number[]) => [0x10, ...pkg([...path, ...body])];
const device = (seg: string, body: number[]) => [0x5b, 0x82, ...pkg([...name(seg), ...body])];
const nameObject = (seg: string, data: number[]) => [0x08, ...name(seg), ...data];
const string = (text: string) => [0x0d, ...bytesOf(text), 0];
const dword = (value: number) => [0x0c, ...le(value, 4)];
const buffer = (content: number[]) => [0x11, ...pkg([0x0a, content.length, ...content])];
const memory32Fixed = (base: number, size: number) => [0x86, 9, 0, 1, ...le(base, 4), ...le(size, 4)];
/** Flags: bit 0 consumer, bit 1 edge, bit 2 active-low. */
const extendedInterrupt = (flags: number, gsis: number[]) => [0x89, ...le(2 + 4 * gsis.length, 2), flags, gsis.length, ...gsis.flatMap((g) => le(g, 4))];
const END_TAG = [0x79, 0];
const CONSUMER_LEVEL_HIGH = 0b001;
const CONSUMER_EDGE_LOW = 0b111;

function virtioDevice(index: number, base: number, gsi: number, flags = CONSUMER_LEVEL_HIGH): number[] {
  return device(`VR${String(index).padStart(2, "0")}`, [
    ...nameObject("_HID", string("LNRO0005")),
    ...nameObject("_UID", [0x0a, index]),
    ...nameObject("_CCA", [0x01]),
    ...nameObject("_CRS", buffer([...memory32Fixed(base, 0x200), ...extendedInterrupt(flags, [gsi]), ...END_TAG])),
  ]);
}

/** Shaped like QEMU microvm's DSDT: ISA devices, the GED with a region, a field and a method, then the virtio devices. */
function microvmAml(extra: number[] = []): number[] {
  const com1 = device("COM1", [
    ...nameObject("_HID", dword(0x0105d041)),
    ...nameObject("_UID", [0x01]),
    ...nameObject("_CRS", buffer([0x47, 1, 0xf8, 3, 0xf8, 3, 0, 8, 0x22, 0x10, 0, ...END_TAG])),
  ]);
  const ged = device("GED", [
    ...nameObject("_HID", string("ACPI0013")),
    ...nameObject("_UID", string("GED")),
    ...[0x5b, 0x80, ...name("EREG"), 0x00, ...dword(0xfea00000), 0x0a, 4],
    ...[0x5b, 0x81, ...pkg([...name("EREG"), 0x03, 0x00, ...name("ESEL"), 0x20])],
    ...[0x14, ...pkg([...name("_EVT"), 0x09, 0xa3, 0xa3])],
  ]);
  const root = scope([0x5c, 0x00], nameObject("_S5", [0x12, ...pkg([4, 0x0a, 5, 0, 0, 0])]));
  return [
    ...scope(name("_SB"), [...com1, ...ged, ...extra, ...virtioDevice(23, 0xfeb02e00, 47), ...virtioDevice(22, 0xfeb02c00, 46, CONSUMER_EDGE_LOW)]),
    ...root,
  ];
}

function table(signature: string, body: number[], address = 0): AcpiTable {
  const bytes = new Uint8Array(36 + body.length);
  bytes.set(bytesOf(signature));
  new DataView(bytes.buffer).setUint32(4, bytes.length, true);
  bytes.set(body, 36);
  let sum = 0;
  for (const b of bytes) sum += b;
  bytes[9] = (256 - (sum & 0xff)) & 0xff;
  return { signature, address, bytes, view: new DataView(bytes.buffer) };
}

const BIOS_AREA = 0xe0000;
const XSDT_ADDRESS = 0x100_0000;
const FADT_ADDRESS = 0x100_1000;
const DSDT_ADDRESS = 0x100_2000;

/** Physical memory with an RSDP (revision 2) -> XSDT -> FADT -> DSDT chain, as microvm's firmware leaves it. */
function platformWithDsdt(aml: number[] | undefined): Platform {
  const regions = new Map<number, Uint8Array>();
  const area = new Uint8Array(0x20000);
  if (aml !== undefined) {
    const rsdp = [...bytesOf("RSD PTR "), 0, ...bytesOf("VIREO "), 2, ...le(0, 4), ...le(36, 4), ...le(XSDT_ADDRESS, 8), 0, 0, 0, 0];
    let sum = 0;
    for (const b of rsdp.slice(0, 20)) sum += b;
    rsdp[8] = (256 - (sum & 0xff)) & 0xff;
    area.set(rsdp, 0x10);
    const fadtBody = new Array<number>(276 - 36).fill(0);
    fadtBody.splice(140 - 36, 8, ...le(DSDT_ADDRESS, 8));
    regions.set(XSDT_ADDRESS, table("XSDT", le(FADT_ADDRESS, 8)).bytes);
    regions.set(FADT_ADDRESS, table("FACP", fadtBody).bytes);
    regions.set(DSDT_ADDRESS, table("DSDT", aml).bytes);
  }
  regions.set(BIOS_AREA, area);
  const physicalView = (address: number, length: number): ArrayBuffer => {
    for (const [base, bytes] of regions) {
      if (address >= base && address + length <= base + bytes.length) return bytes.slice(address - base, address - base + length).buffer;
    }
    throw new RangeError(`nothing at 0x${address.toString(16)}`);
  };
  return { physicalView, mapPhysical: () => {} } as unknown as Platform;
}

describe("AML device walk", () => {
  it("finds every device with its constant names, stepping over regions, fields, methods and packages", () => {
    const walk = walkAmlDevices(table("DSDT", microvmAml()));
    expect(walk.unknownTerms).toBe(0);
    expect(walk.devices.map((d) => d.path)).toEqual(["_SB_.COM1", "_SB_.GED_", "_SB_.VR23", "_SB_.VR22"]);
    const vr23 = walk.devices[2].names;
    expect(vr23.get("_HID")).toEqual({ kind: "string", value: "LNRO0005" });
    expect(vr23.get("_UID")).toEqual({ kind: "integer", value: 23 });
    expect(vr23.get("_CRS")?.kind).toBe("buffer");
    expect(walk.devices[0].names.get("_HID")).toEqual({ kind: "integer", value: 0x0105d041 });
  });

  it("an unknown term cuts its own scope short and is counted; other scopes are still walked", () => {
    const unknownInDevice = device("ODD", [...nameObject("_HID", string("X")), 0x70, 0x01, 0x60]);
    const aml = [...scope(name("_SB"), [...unknownInDevice, ...virtioDevice(0, 0xfeb00000, 24)]), ...scope([0x5c, 0x00], [0x70, 0, 0]), ...scope(name("PCI0"), virtioDevice(1, 0xfeb00200, 25))];
    const walk = walkAmlDevices(table("DSDT", aml));
    expect(walk.unknownTerms).toBe(2);
    expect(walk.devices.map((d) => d.path)).toEqual(["_SB_.ODD_", "_SB_.VR00", "PCI0.VR01"]);
  });

  it("a package length running past its scope stops that scope, not the walk", () => {
    const truncated = [0x10, 0x3f, ...name("BAD")];
    const walk = walkAmlDevices(table("DSDT", [...scope(name("_SB"), truncated), ...scope(name("OK"), virtioDevice(2, 0xfeb00400, 26))]));
    expect(walk.unknownTerms).toBe(1);
    expect(walk.devices.map((d) => d.path)).toEqual(["OK__.VR02"]);
  });

  it("refuses scopes nested beyond its depth limit", () => {
    let aml = virtioDevice(0, 0xfeb00000, 24);
    for (let i = 0; i < 40; i++) aml = scope(name("S"), aml);
    expect(() => walkAmlDevices(table("DSDT", aml))).toThrow(AcpiError);
  });
});

describe("resource templates", () => {
  it("reads fixed memory ranges and extended interrupts with their trigger mode and polarity", () => {
    const crs = [...memory32Fixed(0xfeb02e00, 0x200), ...extendedInterrupt(CONSUMER_LEVEL_HIGH, [47]), ...extendedInterrupt(CONSUMER_EDGE_LOW, [5, 6]), ...END_TAG];
    expect(parseResources(new Uint8Array(crs))).toEqual({
      memory: [{ base: 0xfeb02e00, size: 0x200 }],
      interrupts: [
        { gsi: 47, levelTriggered: true, activeLow: false },
        { gsi: 5, levelTriggered: false, activeLow: true },
        { gsi: 6, levelTriggered: false, activeLow: true },
      ],
    });
  });

  it("steps over other descriptors and stops at the end tag", () => {
    const io = [0x47, 1, 0xf8, 3, 0xf8, 3, 0, 8];
    expect(parseResources(new Uint8Array([...io, ...END_TAG, ...memory32Fixed(1, 1)]))).toEqual({ memory: [], interrupts: [] });
  });

  it("refuses a template without an end tag or with an interrupt list longer than its descriptor", () => {
    expect(() => parseResources(new Uint8Array(memory32Fixed(0x1000, 0x200)))).toThrow(/no end tag/);
    const lying = [0x89, 6, 0, CONSUMER_LEVEL_HIGH, 3, ...le(5, 4), ...END_TAG];
    expect(() => parseResources(new Uint8Array(lying))).toThrow(/lists 3 interrupts/);
  });
});

describe("virtio-mmio discovery", () => {
  it("takes LNRO0005 devices from the DSDT behind the FADT, with the interrupt flags it gives", () => {
    const platform = platformWithDsdt(microvmAml());
    expect(readDsdt(platform, readAcpiTables(platform))?.address).toBe(DSDT_ADDRESS);
    const found = virtioMmioFromAcpi(platform);
    expect(found.problems).toEqual([]);
    expect(found.windows.map(formatMmioWindow)).toEqual([
      "mmio 0xfeb02e00 size=512 gsi=47 level active-high source=acpi",
      "mmio 0xfeb02c00 size=512 gsi=46 edge active-low source=acpi",
    ]);
  });

  it("reports an LNRO0005 device whose _CRS has no memory range, and keeps the others", () => {
    const broken = device("VR09", [...nameObject("_HID", string("LNRO0005")), ...nameObject("_CRS", buffer([...extendedInterrupt(CONSUMER_LEVEL_HIGH, [33]), ...END_TAG]))]);
    const noCrs = device("VR10", nameObject("_HID", string("LNRO0005")));
    const found = virtioMmioFromAcpi(platformWithDsdt(microvmAml([...broken, ...noCrs])));
    expect(formatMmioProblems(found.problems)).toEqual([
      "virtio-mmio-skipped acpi _SB_.VR09: no fixed memory range in _CRS",
      "virtio-mmio-skipped acpi _SB_.VR10: no _CRS resource template",
    ]);
    expect(found.windows).toHaveLength(2);
  });

  it("joins the DSDT and the command line: a word repeating a DSDT device is dropped, an overlapping one reported", () => {
    const platform = platformWithDsdt(microvmAml());
    const words = new CommandLine("virtio_mmio.device=512@0xfeb02e00:47 virtio_mmio.device=1K@0xfeb02a00:45 virtio_mmio.device=4K@0xd0000000:5");
    const found = discoverVirtioMmio(platform, words);
    expect(found.windows.map((w) => `${w.source} 0x${w.base.toString(16)}`)).toEqual(["acpi 0xfeb02e00", "acpi 0xfeb02c00", "command-line 0xd0000000"]);
    expect(formatMmioProblems(found.problems)).toEqual(["virtio-mmio-skipped command-line 1024@0xfeb02a00: overlaps a device the DSDT describes"]);
  });

  it("without ACPI the command line alone describes the devices", () => {
    const found = discoverVirtioMmio(platformWithDsdt(undefined), new CommandLine("virtio_mmio.device=512@0xfeb00e00:12"));
    expect(found.windows.map(formatMmioWindow)).toEqual(["mmio 0xfeb00e00 size=512 gsi=12 level active-high source=command-line"]);
    expect(found.problems).toEqual([]);
  });
});
