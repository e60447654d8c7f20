import { register, registerEnd } from "../register";

/**
 * Legacy PCI header in BAR0 (virtio 1.2 section 4.1.4.10). The specification gives these fields as
 * a table, not a struct; the keys are its column names in the modern fields' spelling ("Device
 * Features bits 0:31" is device_feature, "Queue Address" queue_address, "ISR Status" isr_status).
 * config_msix_vector and queue_msix_vector exist only while MSI-X is enabled; the device
 * configuration follows the header, so it moves when MSI-X is switched on or off.
 */
export const LEGACY_HEADER = {
  device_feature: register("device_feature", 0x00, 4, "ro"),
  driver_feature: register("driver_feature", 0x04, 4, "rw"),
  queue_address: register("queue_address", 0x08, 4, "rw"),
  queue_size: register("queue_size", 0x0c, 2, "ro"),
  queue_select: register("queue_select", 0x0e, 2, "rw"),
  queue_notify: register("queue_notify", 0x10, 2, "rw"),
  device_status: register("device_status", 0x12, 1, "rw"),
  isr_status: register("isr_status", 0x13, 1, "ro"),
  config_msix_vector: register("config_msix_vector", 0x14, 2, "rw"),
  queue_msix_vector: register("queue_msix_vector", 0x16, 2, "rw"),
} as const;

/** Where the device configuration starts without MSI-X, and with it (after the two vectors). */
export const LEGACY_CONFIG_OFFSET = registerEnd(LEGACY_HEADER.isr_status);
export const LEGACY_CONFIG_OFFSET_MSIX = registerEnd(LEGACY_HEADER.queue_msix_vector);

/** queue_address holds the ring's page frame number: its physical address shifted right by this. */
export const LEGACY_PFN_SHIFT = 12;
/** Legacy rings start on a page (the PFN's unit); the used ring starts on the next page boundary. */
export const LEGACY_QUEUE_ALIGN = 2 ** LEGACY_PFN_SHIFT;
/** Legacy has no queue count register: probe select until size 0, up to this many. */
export const LEGACY_MAX_QUEUES = 64;
