// The QEMU machine types an app boots on (`vireo run --machine NAME`, `vireo test --machines a,b`):
// each one's -machine arguments and the QEMU name of its virtio devices.

export type VirtioKind = "rng" | "blk" | "net";

export interface Board {
  readonly qemuArgs: readonly string[];
  /** QEMU's device name for a virtio device of `kind` on this machine's bus. */
  virtioDevice(kind: VirtioKind): string;
}

const pciDevice = (kind: VirtioKind): string => `virtio-${kind}-pci`;

export const BOARDS: Readonly<Record<string, Board>> = {
  /** i440FX: QEMU's default PC. */
  pc: { qemuArgs: ["-machine", "pc"], virtioDevice: pciDevice },
  /** Q35 with PCI Express. */
  q35: { qemuArgs: ["-machine", "q35"], virtioDevice: pciDevice },
};

export const DEFAULT_BOARD = "pc";
