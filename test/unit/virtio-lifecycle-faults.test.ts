// The device lifecycle when something goes wrong on the way: a driver's detach or ringBroken hook
// that throws, a reset that does not complete at teardown or before a new claim, a recovery asked
// of a device that is not ready, and a broken ring after a recovery.
import { describe, expect, it } from "vitest";
import type { VirtioDevice } from "../../drivers/virtio/device";
import { VirtioRingBrokenError, VirtioStatusError, VirtioTransportError, VirtioUsageError } from "../../drivers/virtio/errors";
import { claimVirtioDevice, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry, type VirtioDriver } from "../../drivers/virtio/registry";
import { DeviceStatus } from "../../drivers/virtio/status";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { EchoModel } from "../sim/virtio/echo-model";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { echoDriver, submit, takeAll, type EchoInstance } from "./virtio-interrupts-harness";
import { virtioFailure } from "./transport-harness";

const QUEUES = 2;

/** A polled echo device with two queues, claimed by `driver` (the echo driver by default). */
function claimed(driver: VirtioDriver<EchoInstance> = echoDriver(QUEUES, false)) {
  const machine = new SimMachine();
  const model = new EchoModel(machine.memory, machine.violations, QUEUES);
  addVirtioPci(machine, model, { device: 3, layout: "modern" });
  const config = new PortPciConfig(machine.ports);
  const [probed] = probeVirtioPci(machine, config, enumeratePci(config), new VirtioDriverRegistry()).devices;
  claimVirtioDevice(probed, driver as VirtioDriver);
  const device = probed.device as VirtioDevice;
  return { machine, model, probed, device };
}

/** Breaks one of the instance's queues with a used id beyond the ring. */
function breakQueue(machine: SimMachine, model: EchoModel, instance: EchoInstance, index: number): void {
  model.faults.usedId = "out-of-range";
  submit(machine, instance.queues[index], 1);
  takeAll(instance.queues[index]);
  model.faults.usedId = "ok";
}

describe("lifecycle faults", () => {
  it("a driver's detach that throws: the device is still reset and freed, then detach throws it typed", () => {
    const { device, probed } = claimed({
      ...echoDriver(QUEUES, false),
      detach: () => {
        throw new Error("still busy");
      },
    });
    expect(device.platform.dmaRegions).toBeGreaterThan(0);
    let thrown: unknown;
    try {
      device.detach();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VirtioTransportError);
    expect((thrown as VirtioTransportError).detail).toContain("still busy");
    expect(probed.state).toBe("detached");
    expect(device.platform.dmaRegions).toBe(0);
    expect(device.queues).toHaveLength(0);
    expect(device.transport.getStatus()).toBe(DeviceStatus.Reset);
  });

  it("a reset that does not complete at teardown: the queues are retired but their memory is kept from the device", () => {
    const { device, model, probed } = claimed();
    const queue = (probed.instance as EchoInstance).queues[0];
    const regions = device.platform.dmaRegions;
    model.faults.resetNeverCompletes = true;
    device.detach();
    expect(probed.state).toBe("detached");
    expect(device.queues).toHaveLength(0);
    expect(device.platform.dmaRegions).toBe(regions);
    expect(() => queue.begin()).toThrow(VirtioRingBrokenError);
  });

  it("claiming a detached device whose reset does not complete fails it", () => {
    const { device, model, probed } = claimed();
    device.detach();
    model.faults.resetNeverCompletes = true;
    expect(claimVirtioDevice(probed, echoDriver(QUEUES, false) as VirtioDriver)).toBe(false);
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioStatusError);
    expect(probed.error?.code).toBe("reset-timeout");
  });

  it("recover is refused on a device that is not ready", () => {
    const { device } = claimed();
    device.detach();
    expect(virtioFailure(VirtioUsageError, "recover", () => device.recover()).detail).toContain("detached");
    device.fail(new Error("given up"));
    expect(virtioFailure(VirtioUsageError, "recover", () => device.recover()).detail).toContain("failed");
  });

  it("recover is refused while the claim is still under way, failing that claim", () => {
    const { probed } = claimed({
      ...echoDriver(QUEUES, false),
      ready: (instance) => {
        instance.device.recover();
      },
    });
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioUsageError);
    expect(probed.error?.code).toBe("recover");
  });

  it("the driver hears of a broken ring once per attach: again after a recovery", () => {
    const told: string[] = [];
    const { device, machine, model, probed } = claimed({ ...echoDriver(QUEUES, false), ringBroken: (_, error) => told.push(error.code) });
    breakQueue(machine, model, probed.instance as EchoInstance, 0);
    breakQueue(machine, model, probed.instance as EchoInstance, 1);
    expect(told).toEqual(["used-id"]);
    expect(device.recover()).toBe(true);
    breakQueue(machine, model, probed.instance as EchoInstance, 0);
    expect(told).toEqual(["used-id", "used-id"]);
    expect(probed.state).toBe("ready");
  });

  it("a ringBroken hook that throws fails the device with what it threw", () => {
    const { device, machine, model, probed } = claimed({
      ...echoDriver(QUEUES, false),
      ringBroken: () => {
        throw new Error("cannot recover");
      },
    });
    breakQueue(machine, model, probed.instance as EchoInstance, 0);
    expect(probed.state).toBe("failed");
    expect(probed.error?.detail).toContain("cannot recover");
    expect(device.platform.dmaRegions).toBe(0);
    expect(device.transport.getStatus()).toBe(DeviceStatus.Failed);
  });
});
