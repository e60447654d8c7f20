/**
 * How a virtio device's interrupts reach its driver, chosen once per device by `bindInterrupts`:
 * MSI-X with a vector per queue, MSI-X with one vector shared by the queues, a (possibly shared)
 * INTx line whose handler reads the ISR, a virtio-mmio device's platform interrupt line whose
 * handler reads InterruptStatus ("line"), or none at all (the driver polls).
 */
import { VirtioUsageError } from "./errors";

export type VirtioInterruptMode = "msix" | "msix-shared" | "intx" | "line" | "polling";

export interface VirtioInterruptHandlers {
  /** The queues that should interrupt: their indices, or a count n for queues 0..n-1. */
  readonly queues: number | readonly number[];
  /** Completions may be waiting on queue `index` (run from the event loop, never in interrupt context). */
  onQueue(index: number): void;
  /** The device configuration changed (VirtioDevice supplies this; drivers get `configChanged`). */
  onConfig?(): void;
}

/** What a driver binds: its queues' interrupts. The config interrupt belongs to VirtioDevice. */
export type VirtioQueueHandlers = Omit<VirtioInterruptHandlers, "onConfig">;

export interface VirtioInterruptStats {
  /** Interrupts that reached the device's handlers. */
  interrupts: number;
  /** INTx and line: the line fired but this device's ISR was 0 (another device on the line, or a re-delivery). */
  spurious: number;
  /** INTx and line: ISR reads with reserved bits set or all ones (device unreachable). */
  invalidIsr: number;
}

export interface VirtioInterruptBinding {
  readonly mode: VirtioInterruptMode;
  readonly stats: VirtioInterruptStats;
  /** Unbinds the handlers and frees the vectors; the device should be reset afterwards. */
  release(): void;
}

/** Binds a device's interrupts; the transport-specific part (PCI: pci-interrupts.ts). */
export interface VirtioInterruptBinder {
  bind(handlers: VirtioInterruptHandlers, queues: readonly number[]): VirtioInterruptBinding;
}

/** MSI-X vector register value meaning "no vector" (virtio 1.2 section 4.1.5.1.2). */
export const NO_VECTOR = 0xffff;

/** ISR status bits (PCI ISR, legacy isr_status, mmio InterruptStatus): a queue used buffers, the configuration changed. */
export const ISR_QUEUE = 1 << 0;
export const ISR_CONFIG = 1 << 1;
const ISR_DEFINED = ISR_QUEUE | ISR_CONFIG;
const ISR_ALL_ONES = 0xff;

export function newInterruptStats(): VirtioInterruptStats {
  return { interrupts: 0, spurious: 0, invalidIsr: 0 };
}

export function pollingBinding(): VirtioInterruptBinding {
  return { mode: "polling", stats: newInterruptStats(), release: () => {} };
}

/** The queue indices `handlers.queues` names, checked against the device's queue count. */
export function boundQueues(deviceName: string, handlers: VirtioInterruptHandlers, queueCount: number): number[] {
  const spec = handlers.queues;
  const queues = typeof spec === "number" ? Array.from({ length: spec }, (_, i) => i) : [...spec];
  for (const q of queues) {
    if (!Number.isInteger(q) || q < 0 || q >= queueCount) {
      throw new VirtioUsageError(deviceName, "interrupt-queue", `queue ${q} is not one of the device's ${queueCount} queues`);
    }
  }
  if (new Set(queues).size !== queues.length) throw new VirtioUsageError(deviceName, "interrupt-queue", `queue listed twice in ${queues.join(",")}`);
  return queues;
}

/**
 * INTx: the ISR read tells whether this device raised the shared line (reading clears it and
 * lowers the line) and why: bit 0 queue work, bit 1 configuration change.
 */
export function handleIsr(
  isr: number,
  handlers: VirtioInterruptHandlers,
  queues: readonly number[],
  stats: VirtioInterruptStats,
): void {
  if (isr === 0) {
    stats.spurious++;
    return;
  }
  if (isr === ISR_ALL_ONES || (isr & ~ISR_DEFINED) !== 0) {
    stats.invalidIsr++;
    if (isr === ISR_ALL_ONES) return;
  }
  stats.interrupts++;
  if ((isr & ISR_QUEUE) !== 0) for (const q of queues) handlers.onQueue(q);
  if ((isr & ISR_CONFIG) !== 0) handlers.onConfig?.();
}
