// The QEMU machine types an app boots on (`npm run run -- --machine NAME`, `vireo run --machine
// NAME`, `vireo test --machines a,b`): each one's arguments, the kernel image it enters, and the
// QEMU name of its virtio devices. The one table of boards.
import type { KernelEntry } from "../lib/paths";

export type VirtioKind = "rng" | "blk" | "net" | "9p" | "scsi";

export interface Board {
  readonly qemuArgs: readonly string[];
  /** The kernel image the board enters. */
  readonly entry: KernelEntry;
  /** QEMU's device name for a virtio device of `kind` on this machine's bus. */
  virtioDevice(kind: VirtioKind): string;
}

/**
 * microvm with its legacy timer and interrupt controller off and no ACPI: the kernel calibrates
 * its clock against the RTC, takes its devices from the virtio_mmio.device= words QEMU appends
 * to the command line (as a Firecracker guest would), and routes their lines on the I/O APIC
 * (docs/microvm.md). ACPI on works too: the DSDT then lists the devices.
 */
export const MICROVM_MACHINE = "microvm,acpi=off,pic=off,pit=off";

const pciDevice = (kind: VirtioKind): string => `virtio-${kind}-pci`;
const mmioDevice = (kind: VirtioKind): string => `virtio-${kind}-device`;

export const BOARDS = {
  /** i440FX: QEMU's default PC. */
  pc: { qemuArgs: ["-machine", "pc"], entry: "multiboot", virtioDevice: pciDevice },
  /** Q35 with PCI Express. */
  q35: { qemuArgs: ["-machine", "q35"], entry: "multiboot", virtioDevice: pciDevice },
  /** No PCI: every device on virtio-mmio, entered through PVH. */
  microvm: { qemuArgs: ["-M", MICROVM_MACHINE], entry: "pvh", virtioDevice: mmioDevice },
} as const satisfies Readonly<Record<string, Board>>;

export type BoardName = keyof typeof BOARDS;

export const DEFAULT_BOARD: BoardName = "pc";
