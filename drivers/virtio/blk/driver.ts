import { DeviceType } from "../constants";
import type { VirtioDriver } from "../registry";
import { registerVirtioDriver } from "../registry";
import { VirtioBlk } from "./blk";
import { VIRTIO_BLK_DRIVER_FEATURES } from "./features";

/** Creates the request queue at attach; asks for the serial once the device is live. */
export const virtioBlkDriver: VirtioDriver<VirtioBlk> = {
  type: DeviceType.Block,
  name: "virtio-blk",
  features: VIRTIO_BLK_DRIVER_FEATURES,
  attach: (device) => new VirtioBlk(device),
  ready: (blk) => {
    blk.identify();
  },
};

/** Makes PCI / mmio probing hand virtio-blk devices to this driver. */
export function registerVirtioBlkDriver(): void {
  registerVirtioDriver(virtioBlkDriver);
}
