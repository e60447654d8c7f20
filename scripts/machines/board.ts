// What each board adds to QEMU's arguments, and the names its virtio devices go by.
import type { Board, Machine } from "./types";

/**
 * microvm with its legacy timer and interrupt controller off and no ACPI: the kernel calibrates
 * its clock against the RTC, takes its devices from the virtio_mmio.device= words QEMU appends
 * to the command line (as a Firecracker guest would), and routes their lines on the I/O APIC
 * (docs/microvm.md). ACPI on works too: the DSDT then lists the devices.
 */
export const MICROVM_MACHINE = "microvm,acpi=off,pic=off,pit=off";

/** The board's own arguments and kernel image. */
export function boardMachine(board: Board): Machine {
  return board === "microvm" ? { qemuArgs: ["-M", MICROVM_MACHINE], entry: "pvh" } : { qemuArgs: [] };
}

/** `virtio-<kind>-pci` on pc, `virtio-<kind>-device` (virtio-mmio) on microvm. */
export function virtioDevice(board: Board, kind: "rng" | "blk" | "net"): string {
  return board === "microvm" ? `virtio-${kind}-device` : `virtio-${kind}-pci`;
}
