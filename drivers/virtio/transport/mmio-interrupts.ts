/**
 * Interrupt binding for virtio-mmio devices: the device's platform interrupt line (a GSI with the
 * trigger mode and polarity its description gives), whose handler reads InterruptStatus and
 * acknowledges what it read through InterruptACK (MmioTransport.readIsr), then runs the queue and
 * configuration handlers. A line that cannot be routed leaves the device polled.
 */
import { AcpiError } from "../../../kernel/acpi/tables";
import { InterruptError, type GsiRoute, type InterruptRouter } from "../../../kernel/irq/router";
import {
  handleIsr,
  newInterruptStats,
  pollingBinding,
  type VirtioInterruptBinder,
  type VirtioInterruptBinding,
  type VirtioInterruptHandlers,
} from "../interrupts";
import type { Transport } from "./transport";

export class MmioInterruptBinder implements VirtioInterruptBinder {
  constructor(
    private readonly router: InterruptRouter,
    private readonly route: GsiRoute,
    private readonly transport: Transport,
  ) {}

  bind(handlers: VirtioInterruptHandlers, queues: readonly number[]): VirtioInterruptBinding {
    const stats = newInterruptStats();
    try {
      const line = this.router.routeGsi(this.route, () => handleIsr(this.transport.readIsr(), handlers, queues, stats));
      return { mode: "line", stats, release: () => line.release() };
    } catch (error) {
      if (error instanceof InterruptError || error instanceof AcpiError) return pollingBinding();
      throw error;
    }
  }
}
