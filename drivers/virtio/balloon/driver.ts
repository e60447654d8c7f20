import { DeviceType } from "../device-types";
import { feature } from "../features";
import type { VirtioDriver } from "../registry";
import { registerVirtioDriver } from "../registry";
import { VirtioBalloon, type VirtioBalloonOptions } from "./balloon";
import { BalloonFeature } from "./constants";

/**
 * What the driver accepts when offered. FREE_PAGE_HINT (a migration aid) is left out, and so is
 * PAGE_POISON: the driver does not fill deflated or reported pages with a poison value.
 */
export const VIRTIO_BALLOON_FEATURES = [BalloonFeature.MustTellHost, BalloonFeature.StatsVq, BalloonFeature.DeflateOnOom, BalloonFeature.PageReporting]
  .map(feature)
  .reduce((all, bit) => all | bit, 0n);

/** Creates the queues at attach; follows num_pages from DRIVER_OK and on every configuration change. */
export function createVirtioBalloonDriver(options: VirtioBalloonOptions): VirtioDriver<VirtioBalloon> {
  return {
    type: DeviceType.Balloon,
    name: "virtio-balloon",
    features: VIRTIO_BALLOON_FEATURES,
    attach: (device) => new VirtioBalloon(device, options),
    ready: (balloon) => balloon.start(),
    configChanged: (balloon) => balloon.configChanged(),
    detach: (balloon) => balloon.detach(),
  };
}

/** Makes PCI / mmio probing hand virtio-balloon devices to this driver. */
export function registerVirtioBalloonDriver(options: VirtioBalloonOptions): void {
  registerVirtioDriver(createVirtioBalloonDriver(options));
}
