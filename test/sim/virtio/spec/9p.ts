import type { SpecTable } from "./field";

/** virtio-9p (device type 9; the virtio 9P transport as Linux and QEMU define it): feature bits. */
export const VIRTIO_9P_F = { MOUNT_TAG: 0 } as const;

/** struct virtio_9p_config: le16 tag_len, then u8 tag[tag_len]; modelled with room for a 255-byte tag. */
export const VIRTIO_9P_TAG_MAX = 255;
export const virtio_9p_config = {
  tag_len: { offset: 0, width: 2, access: "ro" },
  tag: { offset: 2, width: 1, access: "ro", count: VIRTIO_9P_TAG_MAX },
} as const satisfies SpecTable;
