/**
 * Interrupt binding for virtio PCI functions: MSI-X with a vector per queue, else MSI-X with one
 * vector for all queues, else the INTx line, else none. Each step that the device refuses (a
 * vector register reading back anything but the entry written, NO_VECTOR included) is undone
 * before the next is tried.
 */
import { AcpiError } from "../../../kernel/acpi/tables";
import type { MsixTable } from "../../../kernel/irq/msix";
import { InterruptError, type InterruptLine, type InterruptRouter } from "../../../kernel/irq/router";
import { disablePciCommand, enablePciCommand } from "../../../kernel/pci/command";
import type { PciConfigAccess } from "../../../kernel/pci/config";
import type { PciFunction } from "../../../kernel/pci/device";
import { PciCommand } from "../../../kernel/pci/registers";
import { NO_VECTOR } from "../interrupts";
import {
  handleIsr,
  newInterruptStats,
  pollingBinding,
  type VirtioInterruptBinder,
  type VirtioInterruptBinding,
  type VirtioInterruptHandlers,
  type VirtioInterruptMode,
} from "../interrupts";
import type { Transport } from "./transport";

const CONFIG_ENTRY = 0;
const FIRST_QUEUE_ENTRY = 1;

type MsixMode = Extract<VirtioInterruptMode, "msix" | "msix-shared">;

/** The MSI-X layouts the table can hold, best first. */
function msixModes(tableSize: number, queueCount: number): MsixMode[] {
  const modes: MsixMode[] = [];
  if (tableSize >= FIRST_QUEUE_ENTRY + queueCount) modes.push("msix");
  if (queueCount > 1 && tableSize >= FIRST_QUEUE_ENTRY + 1) modes.push("msix-shared");
  return modes;
}

export class PciInterruptBinder implements VirtioInterruptBinder {
  constructor(
    private readonly router: InterruptRouter,
    private readonly config: PciConfigAccess,
    private readonly fn: PciFunction,
    private readonly transport: Transport,
  ) {
    // Until a driver binds INTx the function must keep its line low: a level line nobody
    // acknowledges would wake the CPU for every device sharing it.
    enablePciCommand(config, fn.address, PciCommand.InterruptDisable);
  }

  bind(handlers: VirtioInterruptHandlers, queues: readonly number[]): VirtioInterruptBinding {
    return this.bindMsix(handlers, queues) ?? this.bindIntx(handlers, queues) ?? pollingBinding();
  }

  private bindMsix(handlers: VirtioInterruptHandlers, queues: readonly number[]): VirtioInterruptBinding | undefined {
    const table = this.router.openMsix(this.fn);
    if (table === undefined) return undefined;
    // Legacy interfaces show the vector registers only while MSI-X is enabled.
    table.enable();
    for (const mode of msixModes(table.size, queues.length)) {
      const binding = this.tryMsix(table, mode, handlers, queues);
      if (binding !== undefined) return binding;
    }
    table.disable();
    return undefined;
  }

  private tryMsix(
    table: MsixTable,
    mode: MsixMode,
    handlers: VirtioInterruptHandlers,
    queues: readonly number[],
  ): VirtioInterruptBinding | undefined {
    const stats = newInterruptStats();
    const lines: InterruptLine[] = [];
    const route = (entry: number, handler: () => void): boolean => {
      const line = this.router.routeMsix(table, entry, () => {
        stats.interrupts++;
        handler();
      });
      if (line !== undefined) lines.push(line);
      return line !== undefined;
    };
    const queueEntry = (position: number) => (mode === "msix" ? FIRST_QUEUE_ENTRY + position : FIRST_QUEUE_ENTRY);
    const routeQueues = () =>
      mode === "msix"
        ? queues.every((q, i) => route(queueEntry(i), () => handlers.onQueue(q)))
        : route(FIRST_QUEUE_ENTRY, () => {
            for (const q of queues) handlers.onQueue(q);
          });
    const accepted =
      route(CONFIG_ENTRY, () => handlers.onConfig?.()) &&
      routeQueues() &&
      this.transport.setConfigVector(CONFIG_ENTRY) === CONFIG_ENTRY &&
      queues.every((q, i) => this.transport.setQueueVector(q, queueEntry(i)) === queueEntry(i));
    const releaseLines = () => {
      for (const line of lines) line.release();
    };
    if (accepted) {
      return {
        mode,
        stats,
        release: () => {
          releaseLines();
          table.disable();
        },
      };
    }
    this.transport.setConfigVector(NO_VECTOR);
    for (const q of queues) this.transport.setQueueVector(q, NO_VECTOR);
    releaseLines();
    return undefined;
  }

  private bindIntx(handlers: VirtioInterruptHandlers, queues: readonly number[]): VirtioInterruptBinding | undefined {
    const stats = newInterruptStats();
    let line: InterruptLine;
    try {
      line = this.router.routeIntx(this.fn, () => handleIsr(this.transport.readIsr(), handlers, queues, stats));
    } catch (error) {
      if (error instanceof InterruptError || error instanceof AcpiError) return undefined;
      throw error;
    }
    disablePciCommand(this.config, this.fn.address, PciCommand.InterruptDisable);
    return {
      mode: "intx",
      stats,
      release: () => {
        enablePciCommand(this.config, this.fn.address, PciCommand.InterruptDisable);
        line.release();
      },
    };
  }
}
