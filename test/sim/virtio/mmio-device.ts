import type { SimMachine } from "../machine";
import type { VirtioDeviceModel } from "./device-model";
import { MMIO_WINDOW_SIZE, MmioInterface } from "./mmio";

/** Places `model` at `base` as a virtio-mmio device of the given version. */
export function addVirtioMmio(machine: SimMachine, model: VirtioDeviceModel, base: number, version: 1 | 2): MmioInterface {
  const iface = new MmioInterface(model, version);
  model.name = `mmio@0x${base.toString(16)}`;
  machine.addMmioWindow(base, MMIO_WINDOW_SIZE, iface);
  return iface;
}
