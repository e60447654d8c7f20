import type { KernelEntry } from "../lib/paths";

/**
 * The QEMU board: pc (PCI, multiboot -kernel) or microvm (no PCI, virtio-mmio devices, PVH
 * entry; docs/microvm.md).
 */
export type Board = "pc" | "microvm";
export const BOARDS: readonly Board[] = ["pc", "microvm"];

/** The QEMU machine an app boots on by default (`npm run run -- <app>` and `npm start`). */
export interface Machine {
  readonly qemuArgs: readonly string[];
  /** Printed on the host before the guest starts. */
  readonly banner?: string;
  /** The kernel image the board needs (default multiboot). */
  readonly entry?: KernelEntry;
}

export interface MachineOptions {
  /** Host port forwarded to the guest's HTTP port. */
  readonly httpPort: number;
  /** Default pc. */
  readonly board?: Board;
}
