import { VIRTIO_DEVICE_ID } from "./device-ids";

/** PCI identification of virtio functions (virtio 1.2 section 4.1.2). */
export const VIRTIO_PCI_VENDOR_ID = 0x1af4;
/** Modern (non-transitional) PCI Device ID: this plus the virtio device ID. */
export const VIRTIO_PCI_MODERN_DEVICE_ID_BASE = 0x1040;
/** Transitional PCI Device IDs, by virtio device ID (section 4.1.2.3). */
export const VIRTIO_PCI_TRANSITIONAL_DEVICE_ID: Readonly<Record<number, number>> = {
  [VIRTIO_DEVICE_ID.network]: 0x1000,
  [VIRTIO_DEVICE_ID.block]: 0x1001,
  [VIRTIO_DEVICE_ID.balloon]: 0x1002,
  [VIRTIO_DEVICE_ID.console]: 0x1003,
  [VIRTIO_DEVICE_ID.scsi]: 0x1004,
  [VIRTIO_DEVICE_ID.entropy]: 0x1005,
  [VIRTIO_DEVICE_ID.p9]: 0x1009,
};
/** Transitional devices have PCI Revision ID 0; non-transitional ones 1 or more. */
export const VIRTIO_PCI_TRANSITIONAL_REVISION = 0;
export const VIRTIO_PCI_MODERN_REVISION = 1;
