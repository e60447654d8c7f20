import { DeviceType } from "../device-types";
import { FeatureBit, feature, hasFeature } from "../features";
import type { VirtioDriver } from "../registry";
import { VirtioFeatureError } from "../errors";
import { CTRL_DEPENDENT_FEATURES, NetFeature, OFFLOAD_REQUIRES } from "./constants";
import { VirtioNet, type VirtioNetOptions } from "./net";

/** Everything the driver can use; the device's offer decides what is negotiated. */
export const VIRTIO_NET_FEATURES = [
  NetFeature.Csum,
  NetFeature.GuestCsum,
  NetFeature.Mtu,
  NetFeature.Mac,
  NetFeature.HostTso4,
  NetFeature.GuestTso4,
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

/**
 * A device offering features that need the control queue without offering one is refused before
 * FEATURES_OK, so that they are never accepted (as Linux's virtnet_validate_features does). An
 * offload offered without what it depends on is simply not accepted: the device works without it.
 */
function featuresFor(offered: bigint, deviceName: string): bigint {
  if (!hasFeature(offered, NetFeature.CtrlVq)) {
    for (const bit of CTRL_DEPENDENT_FEATURES) {
      if (hasFeature(offered, bit)) throw new VirtioFeatureError(deviceName, "ctrl-vq-missing", `feature ${bit} offered without CTRL_VQ`);
    }
  }
  let wanted = VIRTIO_NET_FEATURES;
  for (const [bit, requires] of OFFLOAD_REQUIRES) {
    if (!requires.every((required) => hasFeature(offered, required))) wanted &= ~feature(bit);
  }
  return wanted;
}

/** The virtio-net driver for the registry; `options.loop` makes devices poll from the event loop. */
export function createVirtioNetDriver(options: VirtioNetOptions = {}): VirtioDriver<VirtioNet> {
  return {
    type: DeviceType.Net,
    name: "virtio-net",
    features: VIRTIO_NET_FEATURES,
    featuresFor,
    attach: (device) => new VirtioNet(device, options),
    ready: (net) => net.start(),
    configChanged: (net) => net.configChanged(),
    ringBroken: (net, error) => net.ringBroken(error),
    detach: (net) => net.detach(),
  };
}
