/** Modern common configuration (virtio 1.2 section 4.1.4.3): offset of each field. */
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
