import type { SpecTable } from "./field";

/** Virtio structure PCI capabilities (virtio 1.2 section 4.1.4). */
export const VIRTIO_PCI_CAP = {
  COMMON_CFG: 1,
  NOTIFY_CFG: 2,
  ISR_CFG: 3,
  DEVICE_CFG: 4,
  PCI_CFG: 5,
  SHARED_MEMORY_CFG: 8,
  VENDOR_CFG: 9,
} as const;

/** struct virtio_pci_cap, inside the vendor-specific PCI capability. */
export const virtio_pci_cap = {
  cap_vndr: { offset: 0, width: 1, access: "ro" },
  cap_next: { offset: 1, width: 1, access: "ro" },
  cap_len: { offset: 2, width: 1, access: "ro" },
  cfg_type: { offset: 3, width: 1, access: "ro" },
  bar: { offset: 4, width: 1, access: "ro" },
  id: { offset: 5, width: 1, access: "ro" },
  padding: { offset: 6, width: 1, access: "ro", count: 2 },
  offset: { offset: 8, width: 4, access: "ro" },
  length: { offset: 12, width: 4, access: "ro" },
} as const satisfies SpecTable;

/** struct virtio_pci_notify_cap: virtio_pci_cap followed by the multiplier. */
export const virtio_pci_notify_cap = {
  notify_off_multiplier: { offset: 16, width: 4, access: "ro" },
} as const satisfies SpecTable;

/** struct virtio_pci_cfg_cap: virtio_pci_cap followed by the data window. */
export const virtio_pci_cfg_cap = {
  pci_cfg_data: { offset: 16, width: 1, access: "rw", count: 4 },
} as const satisfies SpecTable;

/** ISR status bits (section 4.1.4.5). */
export const VIRTIO_PCI_ISR = { QUEUE: 1, CONFIG: 2 } as const;

/** "No vector" in the MSI-X vector registers (section 4.1.5.1.2). */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;

/** Available buffer notifications are 16-bit writes of the queue index (section 4.1.4.4). */
export const VIRTIO_PCI_NOTIFY_WIDTH = 2;
