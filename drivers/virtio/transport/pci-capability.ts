import { register, registerEnd } from "../register";

/**
 * The virtio vendor capability in PCI config space, `struct virtio_pci_cap` (virtio 1.2 section
 * 4.1.4), offsets from the capability's start. Read-only for the driver.
 */
export const VIRTIO_PCI_CAP = {
  cap_vndr: register("cap_vndr", 0x00, 1, "ro"),
  cap_next: register("cap_next", 0x01, 1, "ro"),
  cap_len: register("cap_len", 0x02, 1, "ro"),
  cfg_type: register("cfg_type", 0x03, 1, "ro"),
  bar: register("bar", 0x04, 1, "ro"),
  id: register("id", 0x05, 1, "ro"),
  offset: register("offset", 0x08, 4, "ro"),
  length: register("length", 0x0c, 4, "ro"),
} as const;

/** `struct virtio_pci_notify_cap` (section 4.1.4.4): the capability followed by the multiplier. */
export const VIRTIO_PCI_NOTIFY_CAP = {
  ...VIRTIO_PCI_CAP,
  notify_off_multiplier: register("notify_off_multiplier", 0x10, 4, "ro"),
} as const;

/** cap_len must cover the structure the cfg_type names. */
export const VIRTIO_CAP_MIN_LENGTH = registerEnd(VIRTIO_PCI_CAP.length);
export const VIRTIO_NOTIFY_CAP_MIN_LENGTH = registerEnd(VIRTIO_PCI_NOTIFY_CAP.notify_off_multiplier);
/** BARs 0..5; a capability naming a higher one is ignored. */
export const VIRTIO_MAX_BAR = 5;

/** cfg_type values. */
export const VirtioCfgType = {
  Common: 1,
  Notify: 2,
  Isr: 3,
  Device: 4,
  PciCfg: 5,
} as const;
