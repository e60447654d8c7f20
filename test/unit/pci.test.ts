import { describe, expect, it } from "vitest";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { formatPciFunction } from "../../kernel/pci/report";
import { openBar } from "../../kernel/pci/io-region";
import { IoRegionError } from "../../kernel/pci/errors";
import { PciCommand, PciReg, PciHeaderType } from "../../kernel/pci/registers";
import { formatPciAddress } from "../../kernel/pci/address";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import type { RegisterBlock } from "../sim/registers";

const nullRegisters: RegisterBlock = { read: () => 0x1234, write: () => {} };

function bridge(machine: SimMachine, bus: number, device: number, secondary: number) {
  return machine.pci.add(bus, device, 0, { vendorId: 0x1b36, deviceId: 0x0001, classCode: 0x060400, headerType: PciHeaderType.Bridge, secondaryBus: secondary });
}

describe("PCI enumeration", () => {
  it("follows bridges, scans multi-function devices and ignores unreachable buses", () => {
    const machine = new SimMachine();
    machine.pci.add(0, 0, 0, { vendorId: 0x8086, deviceId: 0x29c0, classCode: 0x060000 });
    bridge(machine, 0, 5, 1);
    bridge(machine, 1, 2, 2);
    machine.pci.add(2, 7, 0, { vendorId: 0x1af4, deviceId: 0x1042, multifunction: true });
    machine.pci.add(2, 7, 3, { vendorId: 0x1af4, deviceId: 0x1044 });
    // Function 2 of a single-function device must not be scanned.
    machine.pci.add(0, 9, 0, { vendorId: 0x1234, deviceId: 0x1111 });
    machine.pci.add(0, 9, 2, { vendorId: 0x1234, deviceId: 0x2222 });
    // No bridge leads to bus 7.
    machine.pci.add(7, 0, 0, { vendorId: 0x1234, deviceId: 0x3333 });
    const found = enumeratePci(new PortPciConfig(machine.ports)).map((f) => `${formatPciAddress(f.address)} ${f.deviceId.toString(16)}`);
    expect(found).toEqual(["00:00.0 29c0", "00:05.0 1", "00:09.0 1111", "01:02.0 1", "02:07.0 1042", "02:07.3 1044"]);
    assertNoViolations(machine.violations);
  });

  it("survives a bridge loop (secondary bus pointing back to bus 0)", () => {
    const machine = new SimMachine();
    bridge(machine, 0, 1, 0);
    bridge(machine, 0, 2, 3);
    bridge(machine, 3, 0, 0);
    expect(enumeratePci(new PortPciConfig(machine.ports))).toHaveLength(3);
  });

  it("sizes I/O, 32-bit and 64-bit prefetchable BARs with decoding off and restores them", () => {
    const machine = new SimMachine();
    const fn = machine.pci.add(0, 3, 0, { vendorId: 0x1af4, deviceId: 0x1041, interruptPin: 1, interruptLine: 11, subsystemVendorId: 0x1af4, subsystemId: 0x1100, classCode: 0x020000, revision: 1 });
    fn.setBar(0, { kind: "io", size: 0x40, base: 0xc040, registers: nullRegisters });
    fn.setBar(1, { kind: "mem32", size: 0x1000, base: 0xfebd_1000, registers: nullRegisters });
    fn.setBar(4, { kind: "mem64", size: 0x4000, base: 0x8_0000_0000, prefetchable: true, registers: nullRegisters });
    fn.setBar(2, { kind: "mem32", size: 0x100, base: 0 });
    fn.writeConfig(PciReg.Command, 2, PciCommand.IoSpace | PciCommand.MemorySpace);
    const before = Array.from(fn.config.subarray(PciReg.Bar0, PciReg.Bar0 + 24));
    const config = new PortPciConfig(machine.ports);
    const [info] = enumeratePci(config);
    expect(info.bars[0]).toEqual({ index: 0, kind: "io", prefetchable: false, base: 0xc040, size: 0x40 });
    expect(info.bars[1]).toEqual({ index: 1, kind: "mem32", prefetchable: false, base: 0xfebd_1000, size: 0x1000 });
    expect(info.bars[2]).toEqual({ index: 2, kind: "mem32", prefetchable: false, base: 0, size: 0x100 });
    expect(info.bars[4]).toEqual({ index: 4, kind: "mem64", prefetchable: true, base: 0x8_0000_0000, size: 0x4000 });
    expect(info.bars[5]).toBeUndefined();
    expect(Array.from(fn.config.subarray(PciReg.Bar0, PciReg.Bar0 + 24))).toEqual(before);
    expect(fn.command).toBe(PciCommand.IoSpace | PciCommand.MemorySpace);
    assertNoViolations(machine.violations);
    expect(formatPciFunction(info)).toBe(
      "pci 00:03.0 1af4:1041 class=020000 rev=01 subsys=1af4:1100 irq=A/11 bar0=io:0xc040+0x40 bar1=mem32:0xfebd1000+0x1000 bar2=mem32:0x0+0x100 bar4=mem64,pf:0x800000000+0x4000 caps=-",
    );
  });

  it("walks capabilities and parses MSI-X; stops at loops and bad pointers", () => {
    const machine = new SimMachine();
    const fn = machine.pci.add(0, 1, 0, { vendorId: 0x1af4, deviceId: 0x1041 });
    const msix = fn.addCapability(0x11, [0x07, 0x00, 0x01, 0, 0, 0, 0x01, 0x08, 0, 0]);
    const vendor = fn.addCapability(0x09, [16, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x38, 0, 0, 0]);
    const config = new PortPciConfig(machine.ports);
    let [info] = enumeratePci(config);
    expect(info.capabilities).toEqual([{ id: 0x11, offset: msix }, { id: 0x09, offset: vendor }]);
    expect(info.msix).toEqual({ capabilityOffset: msix, tableSize: 8, tableBar: 1, tableOffset: 0, pbaBar: 1, pbaOffset: 0x800 });
    expect(info.capabilityError).toBeUndefined();

    fn.poke8(vendor + 1, msix);
    [info] = enumeratePci(config);
    expect(info.capabilityError).toMatch(/loop/);
    expect(info.capabilities.length).toBe(48);

    fn.poke8(vendor + 1, 0x20);
    [info] = enumeratePci(config);
    expect(info.capabilityError).toBe("bad capability pointer 0x20");
    fn.poke8(vendor + 1, 0x4a);
    [info] = enumeratePci(config);
    expect(info.capabilityError).toBe("bad capability pointer 0x4a");
    expect(info.capabilities).toHaveLength(2);
  });
  it("reports an MSI-X capability at the end of configuration space on the function instead of throwing", () => {
    const machine = new SimMachine();
    const fn = machine.pci.add(0, 1, 0, { vendorId: 0x1af4, deviceId: 0x1041 });
    const vendor = fn.addCapability(0x09, [16, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x38, 0, 0, 0]);
    const last = 0xfc;
    fn.poke8(last, 0x11);
    fn.poke8(last + 1, 0);
    fn.poke8(vendor + 1, last);
    machine.pci.add(0, 2, 0, { vendorId: 0x1af4, deviceId: 0x1044 });
    const [bad, next] = enumeratePci(new PortPciConfig(machine.ports));
    expect(bad.capabilities).toEqual([{ id: 0x09, offset: vendor }, { id: 0x11, offset: last }]);
    expect(bad.msix).toBeUndefined();
    expect(bad.capabilityError).toBe("MSI-X capability at 0xfc runs past configuration space");
    expect(next.address.device).toBe(2);
  });
});

describe("IoRegion", () => {
  it("enables decode, maps memory BARs, accesses at exact widths and bounds-checks", () => {
    const machine = new SimMachine();
    const writes: string[] = [];
    const registers: RegisterBlock = { read: (o, w) => o + w, write: (o, w, v) => writes.push(`${o}/${w}=${v}`) };
    const fn = machine.pci.add(0, 2, 0, { vendorId: 0x1234, deviceId: 0x5678 });
    fn.setBar(0, { kind: "io", size: 0x20, base: 0xc000, registers });
    fn.setBar(2, { kind: "mem32", size: 0x100, base: 0xfe00_0000, registers });
    const config = new PortPciConfig(machine.ports);
    const [info] = enumeratePci(config);
    const io = openBar(machine, config, info, 0);
    const mem = openBar(machine, config, info, 2);
    expect(fn.command & (PciCommand.IoSpace | PciCommand.MemorySpace)).toBe(PciCommand.IoSpace | PciCommand.MemorySpace);
    expect(io.read16(4)).toBe(6);
    expect(mem.read32(0xfc)).toBe(0x100);
    expect(mem.read64(0x10)).toBe(0x18n);
    mem.window(0x80, 0x10).write8(0xf, 7);
    io.write32(0x1c, 9);
    expect(writes).toEqual(["143/1=7", "28/4=9"]);
    expect(() => mem.read32(0xfd)).toThrow(IoRegionError);
    expect(() => io.read8(0x20)).toThrow(IoRegionError);
    expect(() => io.read8(-1)).toThrow(IoRegionError);
    expect(() => io.read64(0)).toThrow(IoRegionError);
    expect(() => mem.window(0xf0, 0x20)).toThrow(IoRegionError);
    expect(() => openBar(machine, config, info, 1)).toThrow(/BAR1/);
    assertNoViolations(machine.violations);
  });

  it("the strict machine flags MMIO to a BAR that was never mapped", () => {
    const machine = new SimMachine();
    const fn = machine.pci.add(0, 2, 0, { vendorId: 0x1234, deviceId: 0x5678 });
    fn.setBar(0, { kind: "mem32", size: 0x100, base: 0xfe00_0000, registers: nullRegisters });
    fn.writeConfig(PciReg.Command, 2, PciCommand.MemorySpace);
    machine.mmio.read32(0xfe00_0000);
    expect(() => assertNoViolations(machine.violations)).toThrow(/unmapped/);
  });
});
