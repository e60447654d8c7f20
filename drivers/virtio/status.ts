/** device_status bits (virtio 1.2 section 2.1). */
export const DeviceStatus = {
  Reset: 0,
  Acknowledge: 1,
  Driver: 2,
  DriverOk: 4,
  FeaturesOk: 8,
  NeedsReset: 64,
  Failed: 128,
} as const;
