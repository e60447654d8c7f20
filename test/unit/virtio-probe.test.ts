import { describe, expect, it } from "vitest";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { PciHeaderType } from "../../kernel/pci/registers";
import { DeviceStatus } from "../../drivers/virtio/status";
import { DeviceType, deviceTypeName } from "../../drivers/virtio/device-types";
import { claimVirtioDevice, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import type { VirtioDriver } from "../../drivers/virtio/registry";
import { virtioRngDriver } from "../../drivers/virtio/rng/rng";
import type { VirtioDevice } from "../../drivers/virtio/device";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BLK_CONFIG } from "../../drivers/virtio/blk/constants";
import { BlkModel } from "../sim/virtio/blk-model";
import { NetModel } from "../sim/virtio/net-model";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";

function machineWithMixedDevices() {
  const machine = new SimMachine();
  const net = new NetModel(machine.memory, machine.violations);
  const blk = new BlkModel(machine.memory, machine.violations, { sectors: 1024 });
  const rng = new RngModel(machine.memory, machine.violations);
  machine.pci.add(0, 0, 0, { vendorId: 0x8086, deviceId: 0x29c0, classCode: 0x060000 });
  addVirtioPci(machine, net, { device: 2, layout: "transitional" });
  machine.pci.add(0, 6, 0, { vendorId: 0x1b36, deviceId: 0x0001, headerType: PciHeaderType.Bridge, secondaryBus: 1 });
  addVirtioPci(machine, blk, { bus: 1, device: 1, layout: "legacy", msixVectors: 0 });
  addVirtioPci(machine, rng, { bus: 1, device: 2, layout: "modern", notify: "io" });
  const config = new PortPciConfig(machine.ports);
  return { machine, net, blk, rng, config, functions: enumeratePci(config) };
}

describe("virtio probe and boot report", () => {
  it("reports every device, claims those with drivers and leaves the rest acknowledged", () => {
    const { machine, net, blk, config, functions } = machineWithMixedDevices();
    const registry = new VirtioDriverRegistry();
    registry.register(virtioRngDriver);
    const result = probeVirtioPci(machine, config, functions, registry);
    expect(result.lines).toEqual([
      "virtio 00:02.0 type=net transport=modern notify=mem features=130078028 queues=3 ring=split",
      "virtio 01:01.0 type=blk transport=legacy notify=io features=30006246 queues=1 ring=split",
      "virtio 01:02.0 type=rng transport=modern notify=io features=100000000 queues=1 ring=split",
      "virtio-ready 3",
    ]);
    expect(result.devices.map((d) => d.state)).toEqual(["unclaimed", "unclaimed", "ready"]);
    expect(net.readStatus()).toBe(DeviceStatus.Acknowledge);
    expect(blk.readStatus()).toBe(DeviceStatus.Acknowledge);
    assertNoViolations(machine.violations);
  });

  it("names the driver that claimed each device, and claims no device twice", () => {
    const { machine, config, functions } = machineWithMixedDevices();
    const registry = new VirtioDriverRegistry();
    registry.register(virtioRngDriver);
    const [net, , rng] = probeVirtioPci(machine, config, functions, registry).devices;
    expect(rng.driver).toBe(virtioRngDriver);
    expect(net.driver).toBeUndefined();
    const instance = rng.instance;
    expect(claimVirtioDevice(rng, virtioRngDriver as VirtioDriver)).toBe(false);
    expect(rng.state).toBe("ready");
    expect(rng.instance).toBe(instance);
    assertNoViolations(machine.violations);
  });

  it("lets a driver registered later claim an unclaimed device, and a failing attach fails only it", () => {
    const { machine, blk, config, functions } = machineWithMixedDevices();
    const result = probeVirtioPci(machine, config, functions, new VirtioDriverRegistry());
    const capacities: bigint[] = [];
    const blkDriver: VirtioDriver<VirtioDevice> = {
      type: 2,
      name: "test-blk",
      features: 1n << 6n,
      attach: (device) => {
        capacities.push(device.transport.readConfigStable(() => device.transport.readConfig64(BLK_CONFIG.capacity)));
        device.createQueue(0);
        return device;
      },
    };
    claimVirtioDevice(result.devices[1], blkDriver);
    expect(result.devices[1].state).toBe("ready");
    expect(capacities).toEqual([1024n]);
    expect(blk.readStatus()).toBe(DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.DriverOk);
    const failing: VirtioDriver = { type: 1, name: "broken", features: 0n, attach: () => { throw new Error("no memory"); } };
    claimVirtioDevice(result.devices[0], failing);
    expect(result.devices[0].state).toBe("failed");
    expect(result.devices[0].error?.message).toBe("00:02.0: transport: Error: no memory");
    assertNoViolations(machine.violations);
  });
});

describe("device type names in the boot report", () => {
  it("names the device types of virtio 1.2 section 5 it knows, and any other by its number", () => {
    const types = [DeviceType.Net, DeviceType.Block, DeviceType.Console, DeviceType.Rng, DeviceType.Balloon, DeviceType.Scsi, DeviceType.NineP, DeviceType.Gpu, DeviceType.Input, DeviceType.Vsock, DeviceType.Fs, 42];
    expect(types.map(deviceTypeName)).toEqual(["net", "blk", "console", "rng", "balloon", "scsi", "9p", "gpu", "input", "vsock", "fs", "type42"]);
  });
});
