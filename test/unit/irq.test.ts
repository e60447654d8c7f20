import { describe, expect, it } from "vitest";
import { parseMadt } from "../../kernel/acpi/madt";
import { AcpiError, type AcpiTable } from "../../kernel/acpi/tables";
import { InterruptDispatcher } from "../../kernel/irq/dispatcher";
import type { InterruptHardware } from "../../kernel/irq/hardware";
import { intxRoute } from "../../kernel/irq/intx";
import { IoApic } from "../../kernel/irq/ioapic";
import { VectorAllocator } from "../../kernel/irq/vectors";
import type { PciFunction } from "../../kernel/pci/device";
import type { Mmio } from "../../kernel/platform";

function hardwareFiring(queue: number[][]): InterruptHardware {
  return {
    localApicId: 0,
    firstDeviceVector: 48,
    takeInterrupts(words) {
      words.fill(0);
      const vectors = queue.shift() ?? [];
      for (const v of vectors) words[v >> 5] |= 1 << (v & 31);
      return vectors.length;
    },
  };
}

function madtTable(entries: number[][]): AcpiTable {
  const body = entries.flat();
  const bytes = new Uint8Array(44 + body.length);
  bytes.set([..."APIC"].map((c) => c.charCodeAt(0)));
  new DataView(bytes.buffer).setUint32(4, bytes.length, true);
  bytes.set(body, 44);
  return { signature: "APIC", address: 0, bytes, view: new DataView(bytes.buffer) };
}

const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const ioApicEntry = (id: number, address: number, gsiBase: number) => [1, 12, id, 0, ...le32(address), ...le32(gsiBase)];
const overrideEntry = (irq: number, gsi: number, flags: number) => [2, 10, 0, irq, ...le32(gsi), flags & 0xff, flags >> 8];

describe("interrupt dispatcher", () => {
  it("calls the handler of every vector that fired, counting the unexpected ones", () => {
    const dispatcher = new InterruptDispatcher(hardwareFiring([[48, 100, 254], [], [48]]));
    const seen: number[] = [];
    dispatcher.register(48, () => seen.push(48));
    dispatcher.register(254, () => seen.push(254));
    expect(dispatcher.dispatch()).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([48, 254]);
    expect(dispatcher.unexpected).toBe(1);
    expect(dispatcher.dispatch()).toBe(0);
    dispatcher.unregister(48);
    dispatcher.dispatch();
    expect(dispatcher.unexpected).toBe(2);
  });

  it("refuses a second handler on one vector", () => {
    const dispatcher = new InterruptDispatcher(hardwareFiring([]));
    dispatcher.register(50, () => {});
    expect(() => dispatcher.register(50, () => {})).toThrow(/already/);
  });
});

describe("vector allocator", () => {
  it("hands out each vector once and takes them back", () => {
    const vectors = new VectorAllocator(48, 50);
    expect([vectors.allocate(), vectors.allocate(), vectors.allocate(), vectors.allocate()]).toEqual([48, 49, 50, undefined]);
    vectors.free(49);
    expect(vectors.allocate()).toBe(49);
    expect(() => vectors.free(47)).toThrow(RangeError);
  });
});

describe("MADT", () => {
  it("reads I/O APICs and source overrides with their flags", () => {
    const madt = parseMadt([madtTable([ioApicEntry(0, 0xfec00000, 0), overrideEntry(0, 2, 0), overrideEntry(9, 9, 0b1101)])]);
    expect(madt.ioApics).toEqual([{ id: 0, address: 0xfec00000, gsiBase: 0 }]);
    expect(madt.overrides[0]).toEqual({ isaIrq: 0, gsi: 2, activeLow: undefined, levelTriggered: undefined });
    expect(madt.overrides[1]).toEqual({ isaIrq: 9, gsi: 9, activeLow: false, levelTriggered: true });
  });

  it("rejects entries that run past the table and tables without an I/O APIC", () => {
    expect(() => parseMadt([madtTable([[1, 40, 0, 0]])])).toThrow(AcpiError);
    expect(() => parseMadt([madtTable([overrideEntry(0, 2, 0)])])).toThrow(/no I\/O APIC/);
    expect(() => parseMadt([])).toThrow(/no MADT/);
  });
});

describe("INTx routing", () => {
  const fn = (pin: number, line: number) => ({ interruptPin: pin, interruptLine: line }) as PciFunction;

  it("follows the MADT override for the firmware's ISA IRQ, else PCI defaults", () => {
    const overrides = [{ isaIrq: 11, gsi: 11, activeLow: false, levelTriggered: true }];
    expect(intxRoute(fn(1, 11), overrides)).toEqual({ gsi: 11, levelTriggered: true, activeLow: false });
    expect(intxRoute(fn(1, 10), overrides)).toEqual({ gsi: 10, levelTriggered: true, activeLow: true });
  });

  it("has no route without a pin or a line", () => {
    expect(intxRoute(fn(0, 11), [])).toBeUndefined();
    expect(intxRoute(fn(1, 0xff), [])).toBeUndefined();
  });
});

describe("I/O APIC", () => {
  function fakeIoApic(entries: number) {
    const registers = new Map<number, number>([[1, (entries - 1) << 16]]);
    let selected = 0;
    const mmio = {
      write32(address: number, value: number) {
        if ((address & 0xff) === 0) selected = value;
        else registers.set(selected, value);
      },
      read32(address: number) {
        return (address & 0xff) === 0 ? selected : (registers.get(selected) ?? 0);
      },
    } as Mmio;
    return { ioApic: new IoApic(mmio, 0xfec00000, 16), registers };
  }

  it("writes the redirection entry for a GSI with vector, trigger, polarity and destination", () => {
    const { ioApic, registers } = fakeIoApic(24);
    expect(ioApic.entries).toBe(24);
    ioApic.route(20, 0x41, 3, { levelTriggered: true, activeLow: true });
    expect(registers.get(0x10 + 2 * 4)).toBe(0x41 | (1 << 15) | (1 << 13));
    expect(registers.get(0x11 + 2 * 4)).toBe(3 << 24);
    ioApic.setMasked(20, true);
    expect(registers.get(0x10 + 2 * 4)! & (1 << 16)).not.toBe(0);
    expect(() => ioApic.route(15, 0x41, 0, { levelTriggered: false, activeLow: false })).toThrow(RangeError);
  });
});
