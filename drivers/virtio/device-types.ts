/** Virtio device IDs (virtio 1.2 section 5). */
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
