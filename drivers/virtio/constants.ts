/** Register layouts and bits from the virtio 1.x specification (see shared reference). */

export const VIRTIO_PCI_VENDOR = 0x1af4;
export const VIRTIO_PCI_TRANSITIONAL_FIRST = 0x1000;
export const VIRTIO_PCI_TRANSITIONAL_LAST = 0x103f;
export const VIRTIO_PCI_MODERN_BASE = 0x1040;
export const VIRTIO_PCI_MODERN_LAST = 0x107f;

export const DeviceStatus = {
  Reset: 0,
  Acknowledge: 1,
  Driver: 2,
  DriverOk: 4,
  FeaturesOk: 8,
  NeedsReset: 64,
  Failed: 128,
} as const;

/** Feature bit numbers (device independent). */
export const FeatureBit = {
  NotifyOnEmpty: 24,
  AnyLayout: 27,
  IndirectDesc: 28,
  EventIdx: 29,
  Version1: 32,
  AccessPlatform: 33,
  RingPacked: 34,
  InOrder: 35,
} as const;

export function feature(bit: number): bigint {
  return 1n << BigInt(bit);
}

export function hasFeature(features: bigint, bit: number): boolean {
  return (features & feature(bit)) !== 0n;
}

export const LEGACY_FEATURE_MASK = 0xffff_ffffn;

export const DeviceType = {
  Net: 1,
  Block: 2,
  Console: 3,
  Rng: 4,
  Balloon: 5,
  Scsi: 8,
  NineP: 9,
  Gpu: 16,
  Input: 18,
  Vsock: 19,
  Fs: 26,
} as const;

export const DEVICE_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "net",
  2: "blk",
  3: "console",
  4: "rng",
  5: "balloon",
  8: "scsi",
  9: "9p",
  16: "gpu",
  18: "input",
  19: "vsock",
  26: "fs",
};

export function deviceTypeName(type: number): string {
  return DEVICE_TYPE_NAMES[type] ?? `type${type}`;
}

/** Vendor capability (cap id 0x09) layout and cfg_type values. */
export const VirtioCap = {
  Length: 0x02,
  CfgType: 0x03,
  Bar: 0x04,
  Offset: 0x08,
  RegionLength: 0x0c,
  NotifyMultiplier: 0x10,
} as const;
export const VIRTIO_CAP_MIN_LENGTH = 16;
export const VIRTIO_NOTIFY_CAP_MIN_LENGTH = 20;
export const VIRTIO_MAX_BAR = 5;

export const VirtioCfgType = {
  Common: 1,
  Notify: 2,
  Isr: 3,
  Device: 4,
  PciCfg: 5,
} as const;

/** Modern common configuration: offset and access width of each field. */
export const CommonCfg = {
  DeviceFeatureSelect: 0x00,
  DeviceFeature: 0x04,
  DriverFeatureSelect: 0x08,
  DriverFeature: 0x0c,
  ConfigMsixVector: 0x10,
  NumQueues: 0x12,
  DeviceStatus: 0x14,
  ConfigGeneration: 0x15,
  QueueSelect: 0x16,
  QueueSize: 0x18,
  QueueMsixVector: 0x1a,
  QueueEnable: 0x1c,
  QueueNotifyOff: 0x1e,
  QueueDesc: 0x20,
  QueueDriver: 0x28,
  QueueDevice: 0x30,
} as const;
export const COMMON_CFG_MIN_LENGTH = 0x38;
export const ISR_MIN_LENGTH = 1;
export const NOTIFY_WIDTH = 2;

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

export const MmioReg = {
  Magic: 0x000,
  Version: 0x004,
  DeviceId: 0x008,
  VendorId: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  GuestPageSize: 0x028,
  QueueSel: 0x030,
  QueueNumMax: 0x034,
  QueueNum: 0x038,
  QueueAlign: 0x03c,
  QueuePfn: 0x040,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  InterruptStatus: 0x060,
  InterruptAck: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  ConfigGeneration: 0x0fc,
  Config: 0x100,
} as const;
export const MMIO_MAGIC = 0x7472_6976;
export const MMIO_VERSION_LEGACY = 1;
export const MMIO_VERSION_MODERN = 2;
export const MMIO_MAX_QUEUES = 64;

export const NO_VECTOR = 0xffff;

/** Split ring layout. */
export const Desc = {
  Size: 16,
  Addr: 0,
  Len: 8,
  Flags: 12,
  Next: 14,
} as const;
export const DescFlag = { Next: 1, Write: 2, Indirect: 4 } as const;
export const AVAIL_NO_INTERRUPT = 1;
export const USED_NO_NOTIFY = 1;
export const RING_HEADER_SIZE = 4;
export const USED_ELEM_SIZE = 8;
export const MAX_QUEUE_SIZE = 32768;
export const ALIGN_DESC = 16;
export const ALIGN_AVAIL = 2;
export const ALIGN_USED = 4;
