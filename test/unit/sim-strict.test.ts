import { describe, expect, it } from "vitest";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { COMMON_CFG } from "../../drivers/virtio/transport/common-cfg";
import { DeviceStatus } from "../../drivers/virtio/status";
import { LEGACY_HEADER } from "../../drivers/virtio/transport/legacy-registers";
import { SimMachine, SIM_DMA_BASE } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { bringUpPci } from "../harness/bring-up";
import { addVirtioPci, ModernBar } from "../sim/virtio/pci-device";
import type { VirtioPciLayout } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { PciCommand, PciReg } from "../../kernel/pci/registers";

/** A modern rng at 00:03.0 with decoding on and its BAR mapped, driven by raw register accesses. */
function raw(layout: VirtioPciLayout = "modern") {
  const machine = new SimMachine();
  const model = new RngModel(machine.memory, machine.violations);
  const { fn, bars } = addVirtioPci(machine, model, { device: 3, layout });
  fn.writeConfig(PciReg.Command, 2, PciCommand.IoSpace | PciCommand.MemorySpace);
  const bar = bars.modern ?? 0;
  machine.mapPhysical(bar, ModernBar.Size);
  const common = (offset: number) => bar + ModernBar.Common + offset;
  return { machine, model, common, bar, io: bars.legacy ?? 0 };
}

function expectViolation(machine: SimMachine, pattern: RegExp) {
  expect(() => assertNoViolations(machine.violations)).toThrow(pattern);
}

describe("the strict simulated device records driver spec violations", () => {
  it("wrong access width on common config", () => {
    const { machine, common } = raw();
    machine.mmio.read32(common(COMMON_CFG.num_queues.offset));
    expectViolation(machine, /4-byte access at 0x12 to 2-byte num_queues/);
  });

  it("writing a read-only field", () => {
    const { machine, common } = raw();
    machine.mmio.write16(common(COMMON_CFG.num_queues.offset), 3);
    expectViolation(machine, /write to read-only num_queues/);
  });

  it("features written after FEATURES_OK", () => {
    const { machine, common } = raw();
    const s = common(COMMON_CFG.device_status.offset);
    machine.mmio.write8(s, DeviceStatus.Acknowledge);
    machine.mmio.write8(s, DeviceStatus.Acknowledge | DeviceStatus.Driver);
    machine.mmio.write32(common(COMMON_CFG.driver_feature_select.offset), 1);
    machine.mmio.write32(common(COMMON_CFG.driver_feature.offset), 1);
    machine.mmio.write8(s, DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.FeaturesOk);
    assertNoViolations(machine.violations);
    machine.mmio.write32(common(COMMON_CFG.driver_feature.offset), 1);
    expectViolation(machine, /driver features written after FEATURES_OK/);
  });

  it("DRIVER_OK without FEATURES_OK, and notify before DRIVER_OK", () => {
    const { machine, common, bar } = raw();
    machine.mmio.write16(bar + ModernBar.Notify, 0);
    expectViolation(machine, /notify of queue 0 before DRIVER_OK/);
    machine.violations.clear();
    machine.mmio.write8(common(COMMON_CFG.device_status.offset), DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.DriverOk);
    expectViolation(machine, /DRIVER_OK without FEATURES_OK/);
  });

  it("queue set-up after DRIVER_OK", () => {
    const { machine, device } = bringUpPci((m, v) => new RngModel(m, v));
    assertNoViolations(machine.violations);
    device.transport.setupQueue(0, 8, { descriptorArea: SIM_DMA_BASE, driverArea: SIM_DMA_BASE, deviceArea: SIM_DMA_BASE });
    expectViolation(machine, /written after DRIVER_OK/);
  });

  it("rings outside DMA memory and descriptors outside DMA memory", () => {
    const { machine, common } = raw();
    machine.mmio.write16(common(COMMON_CFG.queue_select.offset), 0);
    machine.mmio.write32(common(COMMON_CFG.queue_desc.offset), 0x1000);
    machine.mmio.write16(common(COMMON_CFG.queue_enable.offset), 1);
    expectViolation(machine, /outside DMA memory/);

    const up = bringUpPci((m, v) => new RngModel(m, v));
    const q = up.queues[0];
    q.begin();
    q.addWritable(0x10_0000, 64);
    q.publish(0);
    q.kick();
    expectViolation(up.machine, /buffer 0x100000\+64 outside DMA memory/);
  });

  it("avail idx running ahead of used by more than the queue size", () => {
    const up = bringUpPci((m, v) => new RngModel(m, v, 4));
    const q = up.queues[0];
    // Poke the avail idx directly: 5 entries in a 4-entry ring.
    const ring = up.machine.memory.dataView(q.addresses.driverArea, 4);
    ring?.setUint16(2, 5, true);
    up.device.transport.notify(0);
    expectViolation(up.machine, /avail idx 5 is 5 ahead/);
  });

  it("FEATURES_OK written on the legacy interface", () => {
    const { machine, io } = raw("legacy");
    machine.ports.write8(io + LEGACY_HEADER.device_status.offset, DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.FeaturesOk);
    expectViolation(machine, /FEATURES_OK written on the legacy interface/);
  });

  it("BAR sizing with decoding left on", () => {
    const machine = new SimMachine();
    addVirtioPci(machine, new RngModel(machine.memory, machine.violations), { device: 3, layout: "modern" });
    const config = new PortPciConfig(machine.ports);
    enumeratePci(config);
    assertNoViolations(machine.violations);
    const address = { bus: 0, device: 3, fn: 0 };
    config.write16(address, PciReg.Command, PciCommand.MemorySpace);
    config.write32(address, PciReg.Bar0 + 4 * ModernBar.Index, 0xffff_ffff);
    expectViolation(machine, /BAR sized with decoding enabled/);
  });
});
