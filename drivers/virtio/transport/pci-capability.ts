/** Vendor capability (cap id 0x09) layout and cfg_type values (virtio 1.2 section 4.1.4). */
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
