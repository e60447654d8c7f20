// The sizes VirtioDevice.createQueue gives a queue (the device's maximum, the driver's bound, the
// legacy interface's fixed size, a packed ring's size that is no power of two), the bounds it
// refuses, and a queue whose set-up the transport refuses leaving no memory behind.
import { describe, expect, it } from "vitest";
import { VirtioDevice } from "../../drivers/virtio/device";
import { VirtioQueueError, VirtioUsageError } from "../../drivers/virtio/errors";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import type { RingOffer } from "../sim/virtio/device-model";
import { EchoModel } from "../sim/virtio/echo-model";
import { addVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";
import { virtioFailure } from "./transport-harness";

/** An echo device with one queue of `maxSize` entries, negotiated and ready for its queues. */
function negotiated(maxSize: number, layout: VirtioPciLayout = "modern", ring: RingOffer = {}) {
  const machine = new SimMachine();
  const model = new EchoModel(machine.memory, machine.violations, 1, true, ring);
  model.faults.queueMaxSizes = [maxSize];
  addVirtioPci(machine, model, { device: 3, layout });
  const config = new PortPciConfig(machine.ports);
  const device = new VirtioDevice(machine, createPciTransport(machine, config, enumeratePci(config)[0]));
  device.acknowledge();
  device.negotiate(0n);
  return { machine, model, device };
}

describe("queue sizes", () => {
  it("bounds a large device queue by the driver's maxSize, up to the largest size there is", () => {
    const { machine, model, device } = negotiated(32768);
    expect(device.createQueue(0, { maxSize: 64 }).size).toBe(64);
    device.driverOk();
    expect(model.queues[0].size).toBe(64);
    assertNoViolations(machine.violations);
  });

  it("takes a driver's maxSize of 1", () => {
    const { machine, model, device } = negotiated(16);
    expect(device.createQueue(0, { maxSize: 1 }).size).toBe(1);
    device.driverOk();
    expect(model.queues[0].size).toBe(1);
    assertNoViolations(machine.violations);
  });

  it.each([0, 3, 24, -4])("refuses a maxSize of %d as the driver's mistake, allocating nothing", (maxSize) => {
    const { device } = negotiated(16);
    const error = virtioFailure(VirtioUsageError, "queue-size", () => device.createQueue(0, { maxSize }));
    expect(error.detail).toContain(`maxSize ${maxSize}`);
    expect(device.platform.dmaRegions).toBe(0);
    expect(device.queues).toHaveLength(0);
  });

  it("gives a packed queue the device's size when it is no power of two", () => {
    const { machine, model, device } = negotiated(100, "modern", { packed: true });
    expect(device.ringLayout).toBe("packed");
    expect(device.createQueue(0).size).toBe(100);
    device.driverOk();
    expect(model.packedQueues[0].size).toBe(100);
    assertNoViolations(machine.violations);
  });

  it("refuses a split queue whose device size is no power of two, naming the size", () => {
    const { device } = negotiated(100);
    const error = virtioFailure(VirtioQueueError, "queue-size", () => device.createQueue(0));
    expect(error.detail).toMatch(/queue 0: .*100.* power of two/);
  });

  it("refuses a packed queue larger than a packed ring can be, naming the size", () => {
    const { device } = negotiated(40000, "modern", { packed: true });
    const error = virtioFailure(VirtioQueueError, "queue-size", () => device.createQueue(0));
    expect(error.detail).toMatch(/queue 0: .*40000.* size <= 32768/);
  });

  it("uses the device's size on the legacy interface, which cannot choose another", () => {
    const { machine, model, device } = negotiated(16, "legacy");
    expect(device.createQueue(0, { maxSize: 4 }).size).toBe(16);
    device.driverOk();
    expect(model.queues[0].size).toBe(16);
    assertNoViolations(machine.violations);
  });
});

describe("a queue the transport refuses to set up", () => {
  it("throws the transport's error and frees the ring it had allocated", () => {
    const { model, device } = negotiated(16);
    model.faults.notifyOffset = 1000;
    virtioFailure(VirtioQueueError, "notify-offset", () => device.createQueue(0));
    expect(device.platform.dmaRegions).toBe(0);
    expect(device.queues).toHaveLength(0);
  });
});
