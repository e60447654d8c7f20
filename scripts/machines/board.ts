// What each board adds to QEMU's arguments, and the names its virtio devices go by (from the one
// table in boards.ts).
import { BOARDS, type VirtioKind } from "./boards";
import type { Board, Machine } from "./types";

/** The board's own arguments and kernel image. */
export function boardMachine(board: Board): Machine {
  const { qemuArgs, entry } = BOARDS[board];
  return { qemuArgs, entry };
}

/** `virtio-<kind>-pci` on pc and q35, `virtio-<kind>-device` (virtio-mmio) on microvm. */
export function virtioDevice(board: Board, kind: VirtioKind): string {
  return BOARDS[board].virtioDevice(kind);
}
