/** PCI vendor and device IDs of virtio functions (virtio 1.2 section 4.1.2). */
export const VIRTIO_PCI_VENDOR = 0x1af4;
export const VIRTIO_PCI_TRANSITIONAL_FIRST = 0x1000;
export const VIRTIO_PCI_TRANSITIONAL_LAST = 0x103f;
export const VIRTIO_PCI_MODERN_BASE = 0x1040;
export const VIRTIO_PCI_MODERN_LAST = 0x107f;
