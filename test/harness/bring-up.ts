import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { VirtioDevice } from "../../drivers/virtio/device";
import type { QueueOptions } from "../../drivers/virtio/device";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import type { Virtqueue } from "../../drivers/virtio/ring/virtqueue";
import { SimMachine } from "../sim/machine";
import type { SimMemory } from "../sim/memory";
import type { ViolationLog } from "../sim/violations";
import type { VirtioDeviceModel } from "../sim/virtio/device-model";
import { addVirtioPci } from "../sim/virtio/pci-device";
import type { VirtioPciOptions } from "../sim/virtio/pci-device";

export interface BringUpOptions {
  readonly pci?: Partial<VirtioPciOptions>;
  readonly features?: bigint;
  readonly queues?: readonly QueueOptions[];
}

export interface BroughtUp<M extends VirtioDeviceModel> {
  readonly machine: SimMachine;
  readonly model: M;
  readonly device: VirtioDevice;
  readonly queues: Virtqueue<number>[];
}

/** One virtio PCI device on a fresh machine, taken to DRIVER_OK with the given queues. */
export function bringUpPci<M extends VirtioDeviceModel>(
  makeModel: (memory: SimMemory, violations: ViolationLog) => M,
  options: BringUpOptions = {},
): BroughtUp<M> {
  const machine = new SimMachine();
  const model = makeModel(machine.memory, machine.violations);
  addVirtioPci(machine, model, { device: 4, layout: "modern", ...options.pci });
  const config = new PortPciConfig(machine.ports);
  const [fn] = enumeratePci(config);
  const device = new VirtioDevice(machine, createPciTransport(machine, config, fn));
  device.acknowledge();
  device.negotiate(options.features ?? 0n);
  const queues = (options.queues ?? [{}]).map((q, i) => device.createQueue<number>(i, q));
  device.driverOk();
  return { machine, model, device, queues };
}
