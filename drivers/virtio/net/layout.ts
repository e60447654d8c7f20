import type { VirtioDevice } from "../device";
import { FeatureBit } from "../features";
import { ETHERNET_HEADER_LENGTH, NET_HEADER_SIZE, NET_HEADER_SIZE_LEGACY, NetFeature, VLAN_TAG_LENGTH } from "./constants";

/** How frames sit in buffers, fixed by the negotiated features. */
export interface NetLayout {
  /** 12 with VERSION_1 or MRG_RXBUF, else 10. */
  readonly headerSize: number;
  /** Legacy without ANY_LAYOUT: the header must have a descriptor of its own. */
  readonly splitHeader: boolean;
  readonly mergeable: boolean;
  /** Descriptors a single-buffer chain takes from the ring (indirect tables take one). */
  readonly descriptorsPerBuffer: number;
  /** Largest Ethernet frame: header, one VLAN tag and the MTU. */
  readonly maxFrame: number;
}

export function netLayout(device: VirtioDevice, mtu: number): NetLayout {
  const modern = device.isModern;
  const mergeable = device.has(NetFeature.MrgRxbuf);
  const splitHeader = !modern && !device.has(FeatureBit.AnyLayout);
  return {
    headerSize: modern || mergeable ? NET_HEADER_SIZE : NET_HEADER_SIZE_LEGACY,
    splitHeader,
    mergeable,
    descriptorsPerBuffer: splitHeader && !device.has(FeatureBit.IndirectDesc) ? 2 : 1,
    maxFrame: ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH + mtu,
  };
}
