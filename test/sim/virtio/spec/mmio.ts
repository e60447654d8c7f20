import type { SpecTable } from "./field";

/** MMIO device register layout (virtio 1.2 section 4.2.2); 64-bit addresses as Low/High pairs. */
export const virtio_mmio_registers = {
  MagicValue: { offset: 0x000, width: 4, access: "ro" },
  Version: { offset: 0x004, width: 4, access: "ro" },
  DeviceID: { offset: 0x008, width: 4, access: "ro" },
  VendorID: { offset: 0x00c, width: 4, access: "ro" },
  DeviceFeatures: { offset: 0x010, width: 4, access: "ro" },
  DeviceFeaturesSel: { offset: 0x014, width: 4, access: "wo" },
  DriverFeatures: { offset: 0x020, width: 4, access: "wo" },
  DriverFeaturesSel: { offset: 0x024, width: 4, access: "wo" },
  QueueSel: { offset: 0x030, width: 4, access: "wo" },
  QueueNumMax: { offset: 0x034, width: 4, access: "ro" },
  QueueNum: { offset: 0x038, width: 4, access: "wo" },
  QueueReady: { offset: 0x044, width: 4, access: "rw" },
  QueueNotify: { offset: 0x050, width: 4, access: "wo" },
  InterruptStatus: { offset: 0x060, width: 4, access: "ro" },
  InterruptACK: { offset: 0x064, width: 4, access: "wo" },
  Status: { offset: 0x070, width: 4, access: "rw" },
  QueueDescLow: { offset: 0x080, width: 4, access: "wo" },
  QueueDescHigh: { offset: 0x084, width: 4, access: "wo" },
  QueueDriverLow: { offset: 0x090, width: 4, access: "wo" },
  QueueDriverHigh: { offset: 0x094, width: 4, access: "wo" },
  QueueDeviceLow: { offset: 0x0a0, width: 4, access: "wo" },
  QueueDeviceHigh: { offset: 0x0a4, width: 4, access: "wo" },
  SHMSel: { offset: 0x0ac, width: 4, access: "wo" },
  SHMLenLow: { offset: 0x0b0, width: 4, access: "ro" },
  SHMLenHigh: { offset: 0x0b4, width: 4, access: "ro" },
  SHMBaseLow: { offset: 0x0b8, width: 4, access: "ro" },
  SHMBaseHigh: { offset: 0x0bc, width: 4, access: "ro" },
  QueueReset: { offset: 0x0c0, width: 4, access: "rw" },
  ConfigGeneration: { offset: 0x0fc, width: 4, access: "ro" },
} as const satisfies SpecTable;

/** The legacy MMIO register layout (section 4.2.4). */
export const virtio_mmio_legacy_registers = {
  MagicValue: { offset: 0x000, width: 4, access: "ro" },
  Version: { offset: 0x004, width: 4, access: "ro" },
  DeviceID: { offset: 0x008, width: 4, access: "ro" },
  VendorID: { offset: 0x00c, width: 4, access: "ro" },
  HostFeatures: { offset: 0x010, width: 4, access: "ro" },
  HostFeaturesSel: { offset: 0x014, width: 4, access: "wo" },
  GuestFeatures: { offset: 0x020, width: 4, access: "wo" },
  GuestFeaturesSel: { offset: 0x024, width: 4, access: "wo" },
  GuestPageSize: { offset: 0x028, width: 4, access: "wo" },
  QueueSel: { offset: 0x030, width: 4, access: "wo" },
  QueueNumMax: { offset: 0x034, width: 4, access: "ro" },
  QueueNum: { offset: 0x038, width: 4, access: "wo" },
  QueueAlign: { offset: 0x03c, width: 4, access: "wo" },
  QueuePFN: { offset: 0x040, width: 4, access: "rw" },
  QueueNotify: { offset: 0x050, width: 4, access: "wo" },
  InterruptStatus: { offset: 0x060, width: 4, access: "ro" },
  InterruptACK: { offset: 0x064, width: 4, access: "wo" },
  Status: { offset: 0x070, width: 4, access: "rw" },
} as const satisfies SpecTable;

/** Device-specific configuration starts here (both layouts). */
export const VIRTIO_MMIO_CONFIG_OFFSET = 0x100;
/** "virt" in little-endian ASCII. */
export const VIRTIO_MMIO_MAGIC_VALUE = 0x7472_6976;
export const VIRTIO_MMIO_VERSION = { legacy: 1, modern: 2 } as const;
/** Bits defined in InterruptStatus / InterruptACK (section 4.2.2). */
export const VIRTIO_MMIO_INT = { VRING: 1, CONFIG: 2 } as const;
