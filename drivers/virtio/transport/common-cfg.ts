import { register, registerEnd } from "../register";

/**
 * Modern common configuration, `struct virtio_pci_common_cfg` (virtio 1.2 section 4.1.4.3), as far
 * as the driver uses it. 64-bit fields are accessed as two 32-bit halves, low first.
 */
export const COMMON_CFG = {
  device_feature_select: register("device_feature_select", 0x00, 4, "rw"),
  device_feature: register("device_feature", 0x04, 4, "ro"),
  driver_feature_select: register("driver_feature_select", 0x08, 4, "rw"),
  driver_feature: register("driver_feature", 0x0c, 4, "rw"),
  config_msix_vector: register("config_msix_vector", 0x10, 2, "rw"),
  num_queues: register("num_queues", 0x12, 2, "ro"),
  device_status: register("device_status", 0x14, 1, "rw"),
  config_generation: register("config_generation", 0x15, 1, "ro"),
  queue_select: register("queue_select", 0x16, 2, "rw"),
  queue_size: register("queue_size", 0x18, 2, "rw"),
  queue_msix_vector: register("queue_msix_vector", 0x1a, 2, "rw"),
  queue_enable: register("queue_enable", 0x1c, 2, "rw"),
  queue_notify_off: register("queue_notify_off", 0x1e, 2, "ro"),
  queue_desc: register("queue_desc", 0x20, 8, "rw"),
  queue_driver: register("queue_driver", 0x28, 8, "rw"),
  queue_device: register("queue_device", 0x30, 8, "rw"),
} as const;

/**
 * The shortest common configuration window accepted: the virtio 1.0 structure, which ends with
 * queue_device. Later fields (queue_notif_config_data, queue_reset, ...) exist only with features.
 */
export const COMMON_CFG_MIN_LENGTH = registerEnd(COMMON_CFG.queue_device);

/** Written to queue_enable to start a queue. */
export const QUEUE_ENABLED = 1;

/** ISR status capability (section 4.1.4.5): one byte, cleared by reading it. */
export const PCI_ISR = {
  isr_status: register("isr_status", 0, 1, "ro"),
} as const;
export const ISR_MIN_LENGTH = registerEnd(PCI_ISR.isr_status);

/** Notification (section 4.1.4.4): the driver writes the 16-bit queue index at the queue's notify address. */
export const NOTIFY_WIDTH = 2;
