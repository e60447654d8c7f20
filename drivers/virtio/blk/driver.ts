import { DeviceType } from "../device-types";
import type { VirtioDriver } from "../registry";
import { registerVirtioDriver } from "../registry";
import { VirtioBlk, type VirtioBlkOptions } from "./blk";
import { VIRTIO_BLK_DRIVER_FEATURES } from "./features";

/**
 * Creates the request queue at attach; asks for the serial once the device is live; re-reads the
 * geometry on configuration changes; fails what is in flight on a broken ring or a detach.
 */
export function createVirtioBlkDriver(options: VirtioBlkOptions = {}): VirtioDriver<VirtioBlk> {
  return {
    type: DeviceType.Block,
    name: "virtio-blk",
    features: VIRTIO_BLK_DRIVER_FEATURES,
    attach: (device) => new VirtioBlk(device, options),
    ready: (blk) => {
      blk.identify();
    },
    configChanged: (blk) => blk.configChanged(),
    ringBroken: (blk, error) => blk.ringBroken(error),
    detach: (blk) => blk.detach(),
  };
}

export const virtioBlkDriver: VirtioDriver<VirtioBlk> = createVirtioBlkDriver();

/** Makes PCI / mmio probing hand virtio-blk devices to this driver. */
export function registerVirtioBlkDriver(options: VirtioBlkOptions = {}): void {
  registerVirtioDriver(createVirtioBlkDriver(options));
}
