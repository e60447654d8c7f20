// Which PCI functions are virtio, which device type they carry, and which transport (modern or
// legacy) the driver picks for them (virtio 1.2 sections 4.1.2 and 4.1.5.1).
import { describe, expect, it } from "vitest";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { PciCapabilityId, PciCommand, PciReg } from "../../kernel/pci/registers";
import { VirtioTransportError } from "../../drivers/virtio/errors";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { RngModel } from "../sim/virtio/rng-model";
import type { SimPciFunction } from "../sim/pci";
import { addVirtioPci, type SimVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";

const VIRTIO_VENDOR = 0x1af4;
const RNG_TYPE = 4;
const BLOCK_TYPE = 2;
/** virtio_pci_cap.offset (virtio 1.2 section 4.1.4). */
const CAP_OFFSET = 8;

/** A bare function (no BARs; capabilities from `caps`) with these ids, enumerated. */
function bareFunction(vendorId: number, deviceId: number, subsystemId = 0, caps: (fn: SimPciFunction) => void = () => {}) {
  const machine = new SimMachine();
  caps(machine.pci.add(0, 3, 0, { vendorId, deviceId, subsystemId, subsystemVendorId: VIRTIO_VENDOR }));
  const config = new PortPciConfig(machine.ports);
  const [fn] = enumeratePci(config);
  return { machine, create: () => createPciTransport(machine, config, fn) };
}

function rngFunction(layout: VirtioPciLayout, spoil: (sim: SimVirtioPci) => void = () => {}) {
  const machine = new SimMachine();
  const model = new RngModel(machine.memory, machine.violations);
  const sim = addVirtioPci(machine, model, { device: 3, layout });
  spoil(sim);
  const config = new PortPciConfig(machine.ports);
  const [fn] = enumeratePci(config);
  return { machine, sim, create: () => createPciTransport(machine, config, fn) };
}

function thrown(create: () => unknown): VirtioTransportError {
  try {
    create();
  } catch (error) {
    expect(error).toBeInstanceOf(VirtioTransportError);
    return error as VirtioTransportError;
  }
  throw new Error("the transport was created");
}

describe("virtio PCI identification", () => {
  it.each([
    [VIRTIO_VENDOR, 0x0fff, "1af4:fff"],
    [VIRTIO_VENDOR, 0x1080, "1af4:1080"],
    [0x8086, 0x1041, "8086:1041"],
  ])("vendor %s device %s is not virtio", (vendor, device, detail) => {
    const error = thrown(bareFunction(vendor, device).create);
    expect(error.code).toBe("not-virtio");
    expect(error.detail).toBe(detail);
    expect(error.deviceName).toBe("00:03.0");
  });

  it.each([
    [0x1000, "legacy BAR0 unusable; no usable common/notify/isr capability"],
    [0x103f, "legacy BAR0 unusable; no usable common/notify/isr capability"],
    [0x1040, "no usable common/notify/isr capability"],
    [0x107f, "no usable common/notify/isr capability"],
  ])("device id %s is virtio; without capabilities or BAR0 it has no transport", (device, detail) => {
    const error = thrown(bareFunction(VIRTIO_VENDOR, device).create);
    expect(error.code).toBe("no-transport");
    expect(error.detail).toBe(detail);
  });

  it("a transitional function without BAR0 names every capability problem too", () => {
    // Two common capabilities (struct virtio_pci_cap: cap_len 16, cfg_type 1) naming BARs 6 and 7.
    const { create } = bareFunction(VIRTIO_VENDOR, 0x1000, 0, (fn) => {
      fn.addCapability(PciCapabilityId.Vendor, [16, 1, 6, 0, 0, 0, 0, 0, 0, 0, 0x38, 0, 0, 0]);
      fn.addCapability(PciCapabilityId.Vendor, [16, 1, 7, 0, 0, 0, 0, 0, 0, 0, 0x38, 0, 0, 0]);
    });
    const error = thrown(create);
    expect(error.code).toBe("no-transport");
    expect(error.detail).toMatch(
      /^legacy BAR0 unusable; no usable common\/notify\/isr capability; cap@0x[0-9a-f]+ type 1: BAR6 absent or unassigned; cap@0x[0-9a-f]+ type 1: BAR7 absent or unassigned$/,
    );
  });

  it("a modern function's type is its device id minus 0x1040, whatever the subsystem id says", () => {
    const { create } = rngFunction("modern", (sim) => sim.fn.poke16(PciReg.SubsystemId, BLOCK_TYPE));
    expect(create().deviceType).toBe(RNG_TYPE);
    const moved = rngFunction("modern", (sim) => sim.fn.poke16(PciReg.DeviceId, 0x1040 + BLOCK_TYPE));
    expect(moved.create().deviceType).toBe(BLOCK_TYPE);
  });

  it("a transitional function's type is its subsystem id, whatever the device id says", () => {
    const { create } = rngFunction("transitional", (sim) => sim.fn.poke16(PciReg.SubsystemId, BLOCK_TYPE));
    expect(create().deviceType).toBe(BLOCK_TYPE);
    const legacy = rngFunction("legacy");
    expect(legacy.create().deviceType).toBe(RNG_TYPE);
  });
});

describe("virtio PCI transport choice", () => {
  it("a transitional function with usable capabilities goes modern", () => {
    const { machine, create } = rngFunction("transitional");
    const transport = create();
    expect(transport.kind).toBe("modern");
    expect(transport.hasFeaturesOk).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("a transitional function whose capabilities are unusable falls back to legacy BAR0", () => {
    const { machine, create } = rngFunction("transitional", (sim) => sim.fn.poke32(sim.caps.common + CAP_OFFSET, 0x3ff0));
    const transport = create();
    expect(transport.kind).toBe("legacy");
    expect(transport.notifyKind).toBe("io");
    expect(transport.hasFeaturesOk).toBe(false);
    expect(transport.numQueues()).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("a modern-only function with unusable capabilities has no transport, and says why", () => {
    const { sim, create } = rngFunction("modern", (s) => s.fn.poke32(s.caps.common + CAP_OFFSET, 0x3ff0));
    const error = thrown(create);
    expect(error.code).toBe("no-transport");
    expect(error.detail).toBe(`no usable common capability; cap@0x${sim.caps.common.toString(16)} type 1: [0x3ff0, +0x3c) outside BAR4 (0x4000)`);
  });

  it("enables bus mastering on the function it takes, and not on one it refuses", () => {
    const good = rngFunction("modern");
    expect(good.sim.fn.command & PciCommand.BusMaster).toBe(0);
    good.create();
    expect(good.sim.fn.command & PciCommand.BusMaster).toBe(PciCommand.BusMaster);

    const legacy = rngFunction("legacy");
    legacy.create();
    expect(legacy.sim.fn.command & PciCommand.BusMaster).toBe(PciCommand.BusMaster);

    const bad = rngFunction("modern", (s) => s.fn.poke32(s.caps.common + CAP_OFFSET, 0x3ff0));
    thrown(bad.create);
    expect(bad.sim.fn.command & PciCommand.BusMaster).toBe(0);
  });
});
