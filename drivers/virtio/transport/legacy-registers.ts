/** Legacy PCI header in BAR0 (virtio 1.2 section 4.1.4.10). */
export const LegacyReg = {
  HostFeatures: 0x00,
  GuestFeatures: 0x04,
  QueuePfn: 0x08,
  QueueSize: 0x0c,
  QueueSelect: 0x0e,
  QueueNotify: 0x10,
  Status: 0x12,
  Isr: 0x13,
  ConfigMsixVector: 0x14,
  QueueMsixVector: 0x16,
} as const;
export const LEGACY_CONFIG_OFFSET = 0x14;
export const LEGACY_CONFIG_OFFSET_MSIX = 0x18;
export const LEGACY_PFN_SHIFT = 12;
export const LEGACY_QUEUE_ALIGN = 4096;
/** Legacy has no queue count register: probe select until size 0, up to this many. */
export const LEGACY_MAX_QUEUES = 64;
