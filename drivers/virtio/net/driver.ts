import { DeviceType } from "../device-types";
import { FeatureBit, feature } from "../features";
import type { VirtioDriver } from "../registry";
import { NetFeature } from "./constants";
import { VirtioNet, type VirtioNetOptions } from "./net";

/** Everything the driver can use; the device's offer decides what is negotiated. */
export const VIRTIO_NET_FEATURES = [
  NetFeature.Csum,
  NetFeature.GuestCsum,
  NetFeature.Mtu,
  NetFeature.Mac,
  NetFeature.MrgRxbuf,
  NetFeature.Status,
  NetFeature.CtrlVq,
  NetFeature.CtrlRx,
  NetFeature.Mq,
  NetFeature.CtrlMacAddr,
  FeatureBit.AnyLayout,
  FeatureBit.IndirectDesc,
  FeatureBit.EventIdx,
]
  .map(feature)
  .reduce((all, bit) => all | bit, 0n);

/** The virtio-net driver for the registry; `options.loop` makes devices poll from the event loop. */
export function createVirtioNetDriver(options: VirtioNetOptions = {}): VirtioDriver<VirtioNet> {
  return {
    type: DeviceType.Net,
    name: "virtio-net",
    features: VIRTIO_NET_FEATURES,
    attach: (device) => new VirtioNet(device, options),
    ready: (net) => net.start(),
    configChanged: (net) => net.configChanged(),
    ringBroken: (net, error) => net.ringBroken(error),
    detach: (net) => net.detach(),
  };
}
