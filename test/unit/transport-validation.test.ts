// The modern PCI transport at its edges: queue indices it will not select, a device without a
// configuration window, queue sizes the driver chooses, capabilities in the last BAR, and MSI-X
// layouts the interrupt binder tries.
import { describe, expect, it } from "vitest";
import { BLK_CONFIG } from "../../drivers/virtio/blk/constants";
import { VirtioDevice } from "../../drivers/virtio/device";
import { VirtioConfigError, VirtioQueueError } from "../../drivers/virtio/errors";
import { PciInterruptBinder } from "../../drivers/virtio/transport/pci-interrupts";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BlkModel } from "../sim/virtio/blk-model";
import type { VirtioDeviceModel } from "../sim/virtio/device-model";
import { EchoModel } from "../sim/virtio/echo-model";
import { addVirtioPci, type VirtioPciOptions } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { virtioFailure } from "./transport-harness";

const SECTORS = 2048;

/** `model` as a modern PCI function in slot 3, and its transport. */
function rig<M extends VirtioDeviceModel>(makeModel: (machine: SimMachine) => M, options: Partial<VirtioPciOptions> = {}) {
  const machine = new SimMachine();
  const model = makeModel(machine);
  const pci = addVirtioPci(machine, model, { device: 3, layout: "modern", ...options });
  const config = new PortPciConfig(machine.ports);
  const [fn] = enumeratePci(config);
  const transport = createPciTransport(machine, config, fn);
  return { machine, model, pci, config, fn, transport };
}

const echo = (queues: number) => (machine: SimMachine) => new EchoModel(machine.memory, machine.violations, queues);
const blk = (machine: SimMachine) => new BlkModel(machine.memory, machine.violations, { sectors: SECTORS });

describe("modern PCI transport", () => {
  it("selects no queue beyond num_queues, for its size or its vector", () => {
    const { machine, transport } = rig(echo(2));
    expect(transport.queueMaxSize(1)).toBe(16);
    expect(virtioFailure(VirtioQueueError, "queue-index", () => transport.queueMaxSize(2)).detail).toBe("queue 2 of 2");
    expect(virtioFailure(VirtioQueueError, "queue-index", () => transport.queueMaxSize(-1)).detail).toBe("queue -1 of 2");
    expect(virtioFailure(VirtioQueueError, "queue-index", () => transport.setQueueVector(2, 0)).detail).toBe("queue 2 of 2");
    assertNoViolations(machine.violations);
  });

  it("a device without a DEVICE_CFG capability has no configuration to read", () => {
    const { machine, transport } = rig((m) => new RngModel(m.memory, m.violations));
    const error = virtioFailure(VirtioConfigError, "no-device-config", () => transport.readConfig64(BLK_CONFIG.capacity));
    expect(error.deviceName).toBe("00:03.0");
    expect(error.detail).toBe("device has no DEVICE_CFG capability");
    assertNoViolations(machine.violations);
  });

  it("uses the queue size the driver asks for, below the device's maximum", () => {
    const { machine, model, transport } = rig(echo(1));
    const device = new VirtioDevice(machine, transport);
    device.acknowledge();
    device.negotiate(0n);
    device.createQueue(0, { maxSize: 4 });
    device.driverOk();
    expect(model.queues[0].size).toBe(4);
    assertNoViolations(machine.violations);
  });

  it("works with its registers in BAR5, the last one a capability may name", () => {
    const { machine, transport } = rig(blk, { modernBar: 5 });
    expect(transport.kind).toBe("modern");
    expect(transport.numQueues()).toBe(1);
    expect(transport.readConfig64(BLK_CONFIG.capacity)).toBe(BigInt(SECTORS));
    assertNoViolations(machine.violations);
  });

  it("notices a configuration whose generation never settles", () => {
    const { model, transport } = rig(blk);
    model.faults.configGenerationBumps = Number.POSITIVE_INFINITY;
    const error = virtioFailure(VirtioConfigError, "config-unstable", () => transport.readConfigStable(() => transport.readConfig64(BLK_CONFIG.capacity)));
    expect(error.detail).toBe("generation changed on 16 reads");
  });
});

describe("PCI interrupt binding: MSI-X layouts tried", () => {
  it("a single queue refused its own vector is not tried again sharing one (the same layout)", () => {
    const { machine, model, config, fn, transport } = rig(echo(1), { msixVectors: 2 });
    model.faults.refuseVectorsFrom = 1;
    const binder = new PciInterruptBinder(new InterruptRouter(machine, config, machine), config, fn, transport);
    expect(binder.bind({ queues: 1, onQueue: () => {} }, [0]).mode).toBe("intx");
    // One attempt: configuration and queue vector, then both set back to NO_VECTOR.
    expect(model.vectorWrites).toBe(4);
    assertNoViolations(machine.violations);
  });
});
