/**
 * Interrupt routing for drivers: MSI-X entries or shared INTx lines, each bound to a vector
 * whose handlers run from the event loop through the dispatcher.
 */
import { readAcpiTables } from "../acpi/tables";
import { parseMadt, type Madt } from "../acpi/madt";
import type { PciConfigAccess } from "../pci/config";
import type { PciFunction } from "../pci/device";
import { formatPciAddress } from "../pci/address";
import type { Platform } from "../platform";
import { InterruptDispatcher, type InterruptHandler } from "./dispatcher";
import { LAST_DEVICE_VECTOR, type InterruptHardware } from "./hardware";
import { intxRoute } from "./intx";
import { IO_APIC_WINDOW_BYTES, IoApic } from "./ioapic";
import { MsixTable } from "./msix";
import { VectorAllocator } from "./vectors";

export class InterruptError extends Error {
  override name = "InterruptError";
}

/** A vector bound to a device interrupt. */
export interface InterruptLine {
  readonly vector: number;
  readonly mode: "msix" | "intx";
  release(): void;
}

interface SharedLine {
  readonly vector: number;
  readonly handlers: InterruptHandler[];
}

export class InterruptRouter {
  readonly dispatcher: InterruptDispatcher;
  private readonly vectors: VectorAllocator;
  private madt?: Madt;
  private ioApics?: IoApic[];
  private readonly sharedLines = new Map<number, SharedLine>();

  constructor(
    private readonly platform: Platform,
    private readonly config: PciConfigAccess,
    private readonly hardware: InterruptHardware,
  ) {
    this.dispatcher = new InterruptDispatcher(hardware);
    this.vectors = new VectorAllocator(hardware.firstDeviceVector, LAST_DEVICE_VECTOR);
  }

  /** The function's MSI-X table with every entry masked, or undefined without MSI-X. */
  openMsix(fn: PciFunction): MsixTable | undefined {
    return MsixTable.open(this.platform, this.config, fn);
  }

  /** Binds MSI-X `entry` to a fresh vector; undefined when no vector is left. */
  routeMsix(table: MsixTable, entry: number, handler: InterruptHandler): InterruptLine | undefined {
    const vector = this.vectors.allocate();
    if (vector === undefined) return undefined;
    this.dispatcher.register(vector, handler);
    table.setEntry(entry, vector, this.hardware.localApicId);
    return {
      vector,
      mode: "msix",
      release: () => {
        table.setMasked(entry, true);
        this.dispatcher.unregister(vector);
        this.vectors.free(vector);
      },
    };
  }

  /** Binds the function's INTx pin; functions on the same line share its vector. */
  routeIntx(fn: PciFunction, handler: InterruptHandler): InterruptLine {
    const madt = this.loadMadt();
    const route = intxRoute(fn, madt.overrides);
    if (route === undefined) throw new InterruptError(`${formatPciAddress(fn.address)} has no routed INTx line`);
    let line = this.sharedLines.get(route.gsi);
    if (line === undefined) {
      const vector = this.vectors.allocate();
      if (vector === undefined) throw new InterruptError("no interrupt vector left for INTx");
      const shared: SharedLine = { vector, handlers: [] };
      this.dispatcher.register(vector, () => {
        for (const h of shared.handlers) h();
      });
      this.ioApicFor(route.gsi).route(route.gsi, vector, this.hardware.localApicId, route);
      this.sharedLines.set(route.gsi, shared);
      line = shared;
    }
    const shared = line;
    shared.handlers.push(handler);
    return {
      vector: shared.vector,
      mode: "intx",
      release: () => {
        const index = shared.handlers.indexOf(handler);
        if (index >= 0) shared.handlers.splice(index, 1);
      },
    };
  }

  /** Binds a legacy ISA interrupt (edge-triggered, active-high unless the MADT overrides it). */
  routeIsaIrq(irq: number, handler: InterruptHandler): InterruptLine {
    const override = this.loadMadt().overrides.find((o) => o.isaIrq === irq);
    const gsi = override?.gsi ?? irq;
    const vector = this.vectors.allocate();
    if (vector === undefined) throw new InterruptError(`no interrupt vector left for ISA IRQ ${irq}`);
    const ioApic = this.ioApicFor(gsi);
    this.dispatcher.register(vector, handler);
    ioApic.route(gsi, vector, this.hardware.localApicId, {
      levelTriggered: override?.levelTriggered ?? false,
      activeLow: override?.activeLow ?? false,
    });
    return {
      vector,
      mode: "intx",
      release: () => {
        ioApic.setMasked(gsi, true);
        this.dispatcher.unregister(vector);
        this.vectors.free(vector);
      },
    };
  }

  /** The machine's MADT (parsed on first use). */
  loadMadt(): Madt {
    this.madt ??= parseMadt(readAcpiTables(this.platform));
    return this.madt;
  }

  private ioApicFor(gsi: number): IoApic {
    this.ioApics ??= this.loadMadt().ioApics.map((entry) => {
      this.platform.mapPhysical(entry.address, IO_APIC_WINDOW_BYTES, true);
      return new IoApic(this.platform.mmio, entry.address, entry.gsiBase);
    });
    const ioApic = this.ioApics.find((a) => a.handles(gsi));
    if (ioApic === undefined) throw new InterruptError(`no I/O APIC handles GSI ${gsi}`);
    return ioApic;
  }
}
