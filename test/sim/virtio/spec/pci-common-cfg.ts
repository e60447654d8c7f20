import type { SpecTable } from "./field";

/** struct virtio_pci_common_cfg (virtio 1.2 section 4.1.4.3). */
export const virtio_pci_common_cfg = {
  device_feature_select: { offset: 0x00, width: 4, access: "rw" },
  device_feature: { offset: 0x04, width: 4, access: "ro" },
  driver_feature_select: { offset: 0x08, width: 4, access: "rw" },
  driver_feature: { offset: 0x0c, width: 4, access: "rw" },
  config_msix_vector: { offset: 0x10, width: 2, access: "rw" },
  num_queues: { offset: 0x12, width: 2, access: "ro" },
  device_status: { offset: 0x14, width: 1, access: "rw" },
  config_generation: { offset: 0x15, width: 1, access: "ro" },
  queue_select: { offset: 0x16, width: 2, access: "rw" },
  queue_size: { offset: 0x18, width: 2, access: "rw" },
  queue_msix_vector: { offset: 0x1a, width: 2, access: "rw" },
  queue_enable: { offset: 0x1c, width: 2, access: "rw" },
  queue_notify_off: { offset: 0x1e, width: 2, access: "ro" },
  queue_desc: { offset: 0x20, width: 8, access: "rw" },
  queue_driver: { offset: 0x28, width: 8, access: "rw" },
  queue_device: { offset: 0x30, width: 8, access: "rw" },
  queue_notify_data: { offset: 0x38, width: 2, access: "ro" },
  queue_reset: { offset: 0x3a, width: 2, access: "rw" },
} as const satisfies SpecTable;
