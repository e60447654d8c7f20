import { DeviceType } from "../device-types";
import { feature } from "../features";
import type { VirtioDriver } from "../registry";
import { NinePFeature } from "./constants";
import { VirtioNineP, type VirtioNinePOptions } from "./ninep";

/** The virtio-9p driver for the registry; each device runs from `options.loop`. */
export function createVirtio9pDriver(options: VirtioNinePOptions): VirtioDriver<VirtioNineP> {
  return {
    type: DeviceType.NineP,
    name: "virtio-9p",
    features: feature(NinePFeature.MountTag),
    attach: (device) => new VirtioNineP(device, options),
    ringBroken: (ninep, error) => ninep.ringBroken(error),
    detach: (ninep) => ninep.detach(),
  };
}
