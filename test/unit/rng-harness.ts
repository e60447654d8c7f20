// A simulated machine with one modern virtio-rng PCI device and the driver started on it.
import { VirtioDevice } from "../../drivers/virtio/device";
import { VirtioRng, type RngOptions } from "../../drivers/virtio/rng/rng";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";

/** `makeModel` picks the device model (RngModel, or a subclass that writes known bytes). */
export function rngMachine<M extends RngModel = RngModel>(options: RngOptions = {}, makeModel?: (machine: SimMachine) => M) {
  const machine = new SimMachine();
  const model = makeModel?.(machine) ?? (new RngModel(machine.memory, machine.violations) as M);
  addVirtioPci(machine, model, { device: 3, layout: "modern" });
  const config = new PortPciConfig(machine.ports);
  const device = new VirtioDevice(machine, createPciTransport(machine, config, enumeratePci(config)[0]));
  device.acknowledge();
  device.negotiate(0n);
  const rng = new VirtioRng(device, options);
  device.driverOk();
  rng.start();
  return { machine, model, rng, device };
}
