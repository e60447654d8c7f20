/** Virtio device IDs (virtio 1.2 section 5), the ones the simulator models or places on PCI. */
export const VIRTIO_DEVICE_ID = {
  network: 1,
  block: 2,
  console: 3,
  entropy: 4,
  balloon: 5,
  scsi: 8,
  p9: 9,
} as const;
