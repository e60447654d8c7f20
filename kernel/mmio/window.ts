/** A memory-mapped platform device the firmware or the monitor describes (virtio-mmio). */
import type { GsiRoute } from "../irq/router";

export interface MmioDeviceWindow {
  readonly base: number;
  readonly size: number;
  /** Its interrupt line; absent when the description gives none (the device is then polled). */
  readonly interrupt?: GsiRoute;
  /** Where the description came from, for the boot report. */
  readonly source: "command-line" | "acpi";
}

/** A description that was refused: reported on the console, never fatal. */
export interface MmioDiscoveryProblem {
  readonly source: MmioDeviceWindow["source"];
  readonly text: string;
  readonly reason: string;
}

/** Physical addresses are below 2^52 on x86-64; beyond that a description is wrong. */
export const MAX_PHYSICAL_ADDRESS = 2 ** 52;
/** A virtio-mmio window is its 0x100-byte register block plus the device configuration. */
export const MAX_WINDOW_BYTES = 1 << 20;
export const MAX_GSI = 255;

export function overlaps(a: Pick<MmioDeviceWindow, "base" | "size">, b: Pick<MmioDeviceWindow, "base" | "size">): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}
