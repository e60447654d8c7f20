import type { SpecTable } from "./field";

/** Network device (virtio 1.2 section 5.1). */
export const VIRTIO_NET_F = {
  CSUM: 0,
  GUEST_CSUM: 1,
  CTRL_GUEST_OFFLOADS: 2,
  MTU: 3,
  MAC: 5,
  GUEST_TSO4: 7,
  GUEST_TSO6: 8,
  GUEST_ECN: 9,
  GUEST_UFO: 10,
  HOST_TSO4: 11,
  HOST_TSO6: 12,
  HOST_ECN: 13,
  HOST_UFO: 14,
  MRG_RXBUF: 15,
  STATUS: 16,
  CTRL_VQ: 17,
  CTRL_RX: 18,
  CTRL_VLAN: 19,
  GUEST_ANNOUNCE: 21,
  MQ: 22,
  CTRL_MAC_ADDR: 23,
} as const;

/** Feature dependencies (section 5.1.3.1): accepting the key requires one of the listed features. */
export const VIRTIO_NET_F_REQUIRES: Readonly<Record<number, readonly number[]>> = {
  [VIRTIO_NET_F.GUEST_TSO4]: [VIRTIO_NET_F.GUEST_CSUM],
  [VIRTIO_NET_F.GUEST_TSO6]: [VIRTIO_NET_F.GUEST_CSUM],
  [VIRTIO_NET_F.GUEST_ECN]: [VIRTIO_NET_F.GUEST_TSO4, VIRTIO_NET_F.GUEST_TSO6],
  [VIRTIO_NET_F.GUEST_UFO]: [VIRTIO_NET_F.GUEST_CSUM],
  [VIRTIO_NET_F.HOST_TSO4]: [VIRTIO_NET_F.CSUM],
  [VIRTIO_NET_F.HOST_TSO6]: [VIRTIO_NET_F.CSUM],
  [VIRTIO_NET_F.HOST_ECN]: [VIRTIO_NET_F.HOST_TSO4, VIRTIO_NET_F.HOST_TSO6],
  [VIRTIO_NET_F.HOST_UFO]: [VIRTIO_NET_F.CSUM],
  [VIRTIO_NET_F.CTRL_RX]: [VIRTIO_NET_F.CTRL_VQ],
  [VIRTIO_NET_F.CTRL_VLAN]: [VIRTIO_NET_F.CTRL_VQ],
  [VIRTIO_NET_F.GUEST_ANNOUNCE]: [VIRTIO_NET_F.CTRL_VQ],
  [VIRTIO_NET_F.MQ]: [VIRTIO_NET_F.CTRL_VQ],
  [VIRTIO_NET_F.CTRL_MAC_ADDR]: [VIRTIO_NET_F.CTRL_VQ],
};

/** struct virtio_net_config. */
export const virtio_net_config = {
  mac: { offset: 0, width: 1, access: "ro", count: 6 },
  status: { offset: 6, width: 2, access: "ro" },
  max_virtqueue_pairs: { offset: 8, width: 2, access: "ro" },
  mtu: { offset: 10, width: 2, access: "ro" },
  speed: { offset: 12, width: 4, access: "ro" },
  duplex: { offset: 16, width: 1, access: "ro" },
  rss_max_key_size: { offset: 17, width: 1, access: "ro" },
  rss_max_indirection_table_length: { offset: 18, width: 2, access: "ro" },
  supported_hash_types: { offset: 20, width: 4, access: "ro" },
} as const satisfies SpecTable;
export const VIRTIO_NET_S = { LINK_UP: 1, ANNOUNCE: 2 } as const;

/** struct virtio_net_hdr (section 5.1.6). */
export const virtio_net_hdr = {
  flags: { offset: 0, width: 1, access: "rw" },
  gso_type: { offset: 1, width: 1, access: "rw" },
  hdr_len: { offset: 2, width: 2, access: "rw" },
  gso_size: { offset: 4, width: 2, access: "rw" },
  csum_start: { offset: 6, width: 2, access: "rw" },
  csum_offset: { offset: 8, width: 2, access: "rw" },
  num_buffers: { offset: 10, width: 2, access: "rw" },
} as const satisfies SpecTable;
/** The header ends after num_buffers with VERSION_1 or MRG_RXBUF, before it otherwise (legacy, 5.1.6.1). */
export const VIRTIO_NET_HDR_SIZE = 12;
export const VIRTIO_NET_HDR_SIZE_LEGACY = 10;
export const VIRTIO_NET_HDR_F = { NEEDS_CSUM: 1, DATA_VALID: 2, RSC_INFO: 4 } as const;
export const VIRTIO_NET_HDR_GSO = { NONE: 0, TCPV4: 1, UDP: 3, TCPV6: 4, UDP_L4: 5, ECN: 0x80 } as const;

/** Virtqueue indices: receiveqN = 2(N-1), transmitqN = 2(N-1)+1, controlq = 2 max_virtqueue_pairs (section 5.1.2). */
export const VIRTIO_NET_QUEUE = { receiveq1: 0, transmitq1: 1 } as const;
/** controlq index without VIRTIO_NET_F_MQ. */
export const VIRTIO_NET_CONTROLQ_SINGLE_PAIR = 2;

/** Control virtqueue (section 5.1.6.5): struct virtio_net_ctrl {u8 class; u8 command; data; u8 ack}. */
export const virtio_net_ctrl = {
  class: { offset: 0, width: 1, access: "ro" },
  command: { offset: 1, width: 1, access: "ro" },
} as const satisfies SpecTable;
export const VIRTIO_NET_CTRL_DATA_OFFSET = 2;
export const VIRTIO_NET_OK = 0;
export const VIRTIO_NET_ERR = 1;
export const VIRTIO_NET_CTRL = {
  RX: 0,
  RX_PROMISC: 0,
  RX_ALLMULTI: 1,
  MAC: 1,
  MAC_TABLE_SET: 0,
  MAC_ADDR_SET: 1,
  VLAN: 2,
  ANNOUNCE: 3,
  ANNOUNCE_ACK: 0,
  MQ: 4,
  MQ_VQ_PAIRS_SET: 0,
} as const;
export const VIRTIO_NET_MAC_LENGTH = 6;
