// Platform interrupt lines (virtio-mmio): routed by GSI with the trigger mode and polarity the
// description gives, shared when two devices name one GSI, and the PC convention when the
// machine publishes no ACPI tables (QEMU microvm with acpi=off).
import { describe, expect, it } from "vitest";
import type { InterruptHardware } from "../../kernel/irq/hardware";
import { DEFAULT_IO_APIC_ADDRESS, InterruptError, InterruptRouter } from "../../kernel/irq/router";
import type { PciConfigAccess } from "../../kernel/pci/config";
import type { Mmio, Platform } from "../../kernel/platform";

const IO_APIC_ENTRIES = 24;
const REDIRECTION = 0x10;
const LEVEL = 1 << 15;
const ACTIVE_LOW = 1 << 13;
const MASKED = 1 << 16;

/** A machine with no RSDP in its BIOS area and one I/O APIC at the default address. */
function machineWithoutAcpi() {
  const registers = new Map<number, number>([[1, (IO_APIC_ENTRIES - 1) << 16]]);
  let selected = 0;
  const mmio = {
    write32(address: number, value: number) {
      expect((address & ~0xff) >>> 0).toBe(DEFAULT_IO_APIC_ADDRESS);
      if ((address & 0xff) === 0) selected = value;
      else registers.set(selected, value);
    },
    read32(address: number) {
      return (address & 0xff) === 0 ? selected : (registers.get(selected) ?? 0);
    },
  } as Mmio;
  const platform = {
    mmio,
    mapPhysical: () => {},
    physicalView: (_address: number, length: number) => new ArrayBuffer(length),
  } as unknown as Platform;
  const hardware: InterruptHardware = { localApicId: 0, firstDeviceVector: 48, takeInterrupts: () => 0 };
  const router = new InterruptRouter(platform, {} as PciConfigAccess, hardware);
  const entry = (gsi: number) => registers.get(REDIRECTION + 2 * gsi) ?? MASKED;
  return { router, entry };
}

describe("GSI routes", () => {
  it("without ACPI, routes a line on the I/O APIC at the default address with the given trigger and polarity", () => {
    const { router, entry } = machineWithoutAcpi();
    expect(router.loadMadt()).toEqual({ ioApics: [{ id: 0, address: DEFAULT_IO_APIC_ADDRESS, gsiBase: 0 }], overrides: [] });
    const level = router.routeGsi({ gsi: 12, levelTriggered: true, activeLow: false }, () => {});
    const edge = router.routeGsi({ gsi: 5, levelTriggered: false, activeLow: true }, () => {});
    expect([level.mode, edge.mode]).toEqual(["gsi", "gsi"]);
    expect(entry(12)).toBe(level.vector | LEVEL);
    expect(entry(5)).toBe(edge.vector | ACTIVE_LOW);
    expect(level.vector).not.toBe(edge.vector);
  });

  it("shares a GSI two devices name alike, and refuses one naming it with another trigger mode", () => {
    const { router } = machineWithoutAcpi();
    const a = router.routeGsi({ gsi: 7, levelTriggered: true, activeLow: false }, () => {});
    const b = router.routeGsi({ gsi: 7, levelTriggered: true, activeLow: false }, () => {});
    expect(b.vector).toBe(a.vector);
    expect(() => router.routeGsi({ gsi: 7, levelTriggered: false, activeLow: false }, () => {})).toThrow(InterruptError);
    expect(() => router.routeGsi({ gsi: IO_APIC_ENTRIES, levelTriggered: true, activeLow: false }, () => {})).toThrow(/no I\/O APIC handles GSI 24/);
  });
});
