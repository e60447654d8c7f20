import type { SpecTable } from "./field";

/**
 * The common configuration structure as seen through the legacy interface in BAR0 (virtio 1.2
 * section 4.1.4.10). The specification's table names four of these fields only by purpose
 * ("Device Features bits 0:31", "Driver Features bits 0:31", "Queue Address", "Queue Notify",
 * "Device Status", "ISR Status"); they carry the names of the modern fields they correspond to.
 */
export const virtio_pci_legacy_header = {
  device_feature: { offset: 0x00, width: 4, access: "ro" },
  driver_feature: { offset: 0x04, width: 4, access: "rw" },
  queue_address: { offset: 0x08, width: 4, access: "rw" },
  queue_size: { offset: 0x0c, width: 2, access: "ro" },
  queue_select: { offset: 0x0e, width: 2, access: "rw" },
  queue_notify: { offset: 0x10, width: 2, access: "rw" },
  device_status: { offset: 0x12, width: 1, access: "rw" },
  isr_status: { offset: 0x13, width: 1, access: "ro" },
} as const satisfies SpecTable;

/** The two fields that follow the header while MSI-X is enabled. */
export const virtio_pci_legacy_msix = {
  config_msix_vector: { offset: 0x14, width: 2, access: "rw" },
  queue_msix_vector: { offset: 0x16, width: 2, access: "rw" },
} as const satisfies SpecTable;

/** Where device-specific configuration starts: after the header, or after the MSI-X fields. */
export const VIRTIO_PCI_LEGACY_CONFIG_OFFSET = 20;
export const VIRTIO_PCI_LEGACY_CONFIG_OFFSET_MSIX = 24;

/** Queue Address is the ring's physical address divided by 4096 (section 4.1.5.1.3.1). */
export const VIRTIO_PCI_LEGACY_QUEUE_ADDRESS_SHIFT = 12;
/** Legacy PCI Queue Align (section 2.7.2). */
export const VIRTIO_PCI_LEGACY_QUEUE_ALIGN = 4096;
