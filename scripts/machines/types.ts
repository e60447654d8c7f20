import type { KernelEntry } from "../lib/paths";
import { BOARDS as BOARD_TABLE, type BoardName } from "./boards";

/**
 * The QEMU board: pc or q35 (PCI, multiboot -kernel) or microvm (no PCI, virtio-mmio devices, PVH
 * entry; docs/microvm.md).
 */
export type Board = BoardName;
export const BOARDS = Object.keys(BOARD_TABLE) as Board[];

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
