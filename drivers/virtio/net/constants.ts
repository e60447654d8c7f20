/** virtio-net (device type 1) feature bits, configuration layout and wire formats (virtio 1.x). */
import { register, registerArray } from "../register";

export const NetFeature = {
  Csum: 0,
  GuestCsum: 1,
  Mtu: 3,
  Mac: 5,
  GuestTso4: 7,
  GuestTso6: 8,
  GuestEcn: 9,
  GuestUfo: 10,
  HostTso4: 11,
  HostTso6: 12,
  HostEcn: 13,
  HostUfo: 14,
  MrgRxbuf: 15,
  Status: 16,
  CtrlVq: 17,
  CtrlRx: 18,
  Mq: 22,
  CtrlMacAddr: 23,
} as const;

/** Names of the virtio-net feature bits the driver knows (virtio 1.2 section 5.1.3). */
export const NET_FEATURE_NAMES: readonly (readonly [number, string])[] = [
  [NetFeature.Csum, "csum"],
  [NetFeature.GuestCsum, "guest-csum"],
  [NetFeature.Mtu, "mtu"],
  [NetFeature.Mac, "mac"],
  [NetFeature.GuestTso4, "guest-tso4"],
  [NetFeature.GuestTso6, "guest-tso6"],
  [NetFeature.GuestEcn, "guest-ecn"],
  [NetFeature.GuestUfo, "guest-ufo"],
  [NetFeature.HostTso4, "host-tso4"],
  [NetFeature.HostTso6, "host-tso6"],
  [NetFeature.HostEcn, "host-ecn"],
  [NetFeature.HostUfo, "host-ufo"],
  [NetFeature.MrgRxbuf, "mrg-rxbuf"],
  [NetFeature.Status, "status"],
  [NetFeature.CtrlVq, "ctrl-vq"],
  [NetFeature.CtrlRx, "ctrl-rx"],
  [NetFeature.Mq, "mq"],
  [NetFeature.CtrlMacAddr, "ctrl-mac-addr"],
];

/** Features that are only meaningful (and may only be accepted) together with CTRL_VQ. */
export const CTRL_DEPENDENT_FEATURES: readonly number[] = [NetFeature.CtrlRx, NetFeature.Mq, NetFeature.CtrlMacAddr];

/**
 * Offloads the driver accepts only together with others (virtio 1.2 section 5.1.3.1 for the
 * checksum ones): segmentation on transmit needs the device to checksum (CSUM); large receives need
 * the driver to take partial checksums (GUEST_CSUM) and, here, merged buffers, since receive buffers
 * are one page-sized slab slot each rather than 64 KiB apiece.
 */
export const OFFLOAD_REQUIRES: readonly (readonly [number, readonly number[]])[] = [
  [NetFeature.HostTso4, [NetFeature.Csum]],
  [NetFeature.GuestTso4, [NetFeature.GuestCsum, NetFeature.MrgRxbuf]],
];

export const MAC_LENGTH = 6;

/**
 * Device configuration, `struct virtio_net_config` (virtio 1.2 section 5.1.4), as far as the driver
 * reads it. mac is writable only through legacy interfaces without CTRL_MAC_ADDR (net.ts checks).
 */
export const NET_CONFIG = {
  mac: registerArray("mac", 0, 1, MAC_LENGTH, "rw"),
  status: register("status", 6, 2, "ro"),
  max_virtqueue_pairs: register("max_virtqueue_pairs", 8, 2, "ro"),
  mtu: register("mtu", 10, 2, "ro"),
} as const;
export const NetStatus = { LinkUp: 1 } as const;

export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
export const DEFAULT_MTU = 1500;
/** The spec's floor for the MTU field; the ceiling is what this driver sizes buffers for. */
export const MIN_MTU = 68;
export const MAX_MTU = 9000;
/** max_virtqueue_pairs range from the spec. */
export const MIN_PAIRS = 1;
export const MAX_PAIRS = 0x8000;

/** struct virtio_net_hdr field offsets. */
export const NetHeader = {
  Flags: 0,
  GsoType: 1,
  HdrLen: 2,
  GsoSize: 4,
  CsumStart: 6,
  CsumOffset: 8,
  NumBuffers: 10,
} as const;
/** With VERSION_1 or MRG_RXBUF (num_buffers present). */
export const NET_HEADER_SIZE = 12;
export const NET_HEADER_SIZE_LEGACY = 10;
export const NetHeaderFlag = { NeedsCsum: 1, DataValid: 2 } as const;
/** gso_type values: no segmentation, or TCP over IPv4 cut into gso_size payloads. */
export const GSO_NONE = 0;
export const GSO_TCPV4 = 1;
/** An IPv4 datagram's total length is 16 bits: the largest packet segmentation carries. */
export const MAX_GSO_PACKET = 0xffff;

/** Queue indices: rx of pair 0, tx of pair 0; the control queue follows every pair. */
export const RX_QUEUE = 0;
export const TX_QUEUE = 1;
export function controlQueueIndex(pairs: number): number {
  return 2 * pairs;
}

export const CtrlClass = { Rx: 0, Mac: 1, Mq: 4 } as const;
export const CtrlRxCommand = { Promisc: 0, AllMulti: 1 } as const;
export const CtrlMacCommand = { AddrSet: 1 } as const;
export const CtrlMqCommand = { VqPairsSet: 0 } as const;
export const CtrlAck = { Ok: 0, Err: 1 } as const;
