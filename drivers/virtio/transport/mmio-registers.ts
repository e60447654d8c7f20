import { register } from "../register";

/**
 * virtio-mmio registers (virtio 1.2 section 4.2.2), named as the specification's table names them;
 * GuestPageSize, QueueAlign and QueuePFN exist only in the legacy (version 1) layout (4.2.4).
 * Every register is 32 bits wide.
 */
export const MMIO_REGISTERS = {
  MagicValue: register("MagicValue", 0x000, 4, "ro"),
  Version: register("Version", 0x004, 4, "ro"),
  DeviceID: register("DeviceID", 0x008, 4, "ro"),
  VendorID: register("VendorID", 0x00c, 4, "ro"),
  DeviceFeatures: register("DeviceFeatures", 0x010, 4, "ro"),
  DeviceFeaturesSel: register("DeviceFeaturesSel", 0x014, 4, "wo"),
  DriverFeatures: register("DriverFeatures", 0x020, 4, "wo"),
  DriverFeaturesSel: register("DriverFeaturesSel", 0x024, 4, "wo"),
  GuestPageSize: register("GuestPageSize", 0x028, 4, "wo"),
  QueueSel: register("QueueSel", 0x030, 4, "wo"),
  QueueNumMax: register("QueueNumMax", 0x034, 4, "ro"),
  QueueNum: register("QueueNum", 0x038, 4, "wo"),
  QueueAlign: register("QueueAlign", 0x03c, 4, "wo"),
  QueuePFN: register("QueuePFN", 0x040, 4, "rw"),
  QueueReady: register("QueueReady", 0x044, 4, "rw"),
  QueueNotify: register("QueueNotify", 0x050, 4, "wo"),
  InterruptStatus: register("InterruptStatus", 0x060, 4, "ro"),
  InterruptACK: register("InterruptACK", 0x064, 4, "wo"),
  Status: register("Status", 0x070, 4, "rw"),
  QueueDescLow: register("QueueDescLow", 0x080, 4, "wo"),
  QueueDescHigh: register("QueueDescHigh", 0x084, 4, "wo"),
  QueueDriverLow: register("QueueDriverLow", 0x090, 4, "wo"),
  QueueDriverHigh: register("QueueDriverHigh", 0x094, 4, "wo"),
  QueueDeviceLow: register("QueueDeviceLow", 0x0a0, 4, "wo"),
  QueueDeviceHigh: register("QueueDeviceHigh", 0x0a4, 4, "wo"),
  ConfigGeneration: register("ConfigGeneration", 0x0fc, 4, "ro"),
} as const;

/** `Config`: the device configuration starts here, after the register block. */
export const MMIO_CONFIG_OFFSET = 0x100;
/** MagicValue: "virt" in little-endian ASCII. */
export const MMIO_MAGIC = 0x7472_6976;
export const MMIO_VERSION_LEGACY = 1;
export const MMIO_VERSION_MODERN = 2;
/** DeviceID of a transport with no device behind it. */
export const MMIO_NO_DEVICE = 0;
/** Written to QueueReady to start a queue. */
export const MMIO_QUEUE_READY = 1;
/** The register file has no queue count: probe QueueSel until QueueNumMax is 0, up to this many. */
export const MMIO_MAX_QUEUES = 64;
