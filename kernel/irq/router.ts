/**
 * Interrupt routing for drivers: MSI-X entries or shared INTx lines, each bound to a vector
 * whose handlers run from the event loop through the dispatcher.
 */
import { hasAcpi, readAcpiTables } from "../acpi/tables";
import { parseMadt, type Madt } from "../acpi/madt";
import type { PciConfigAccess } from "../pci/config";
import type { PciFunction } from "../pci/device";
import { formatPciAddress } from "../pci/address";
import type { Platform } from "../platform";
import { InterruptDispatcher, type InterruptHandler } from "./dispatcher";
import { LAST_DEVICE_VECTOR, type InterruptHardware } from "./hardware";
import { intxRoute } from "./intx";
import { IO_APIC_WINDOW_BYTES, IoApic, type RouteOptions } from "./ioapic";
import { MsixTable } from "./msix";
import { VectorAllocator } from "./vectors";

export class InterruptError extends Error {
  override name = "InterruptError";
}

/** A vector bound to a device interrupt. */
export interface InterruptLine {
  readonly vector: number;
  /** intx: a PCI function's pin; gsi: a platform device's line (virtio-mmio). */
  readonly mode: "msix" | "intx" | "gsi";
  release(): void;
}

/**
 * A machine without ACPI (QEMU microvm with acpi=off, microVM monitors): the PC convention of one
 * I/O APIC at its default address from GSI 0, every ISA IRQ on the GSI of its number.
 */
export const DEFAULT_IO_APIC_ADDRESS = 0xfec0_0000;
const CONVENTIONAL_LAYOUT: Madt = { ioApics: [{ id: 0, address: DEFAULT_IO_APIC_ADDRESS, gsiBase: 0 }], overrides: [] };

/** A platform device's interrupt: its GSI with trigger mode and polarity. */
export interface GsiRoute extends RouteOptions {
  readonly gsi: number;
}

interface SharedLine {
  readonly vector: number;
  readonly route: GsiRoute;
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
    return this.routeShared(route, handler, "intx");
  }

  /**
   * Binds a platform device's GSI (a virtio-mmio device's line, as the command line or the DSDT
   * gives it); devices on the same GSI share its vector, as INTx functions do.
   */
  routeGsi(route: GsiRoute, handler: InterruptHandler): InterruptLine {
    const existing = this.sharedLines.get(route.gsi);
    if (existing !== undefined && (existing.route.levelTriggered !== route.levelTriggered || existing.route.activeLow !== route.activeLow))
      throw new InterruptError(`GSI ${route.gsi} is already routed with another trigger mode or polarity`);
    return this.routeShared(route, handler, "gsi");
  }

  private routeShared(route: GsiRoute, handler: InterruptHandler, mode: "intx" | "gsi"): InterruptLine {
    let line = this.sharedLines.get(route.gsi);
    if (line === undefined) {
      const vector = this.vectors.allocate();
      if (vector === undefined) throw new InterruptError(`no interrupt vector left for GSI ${route.gsi}`);
      const shared: SharedLine = { vector, route, handlers: [] };
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
      mode,
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

  /**
   * Delivers a legacy ISA interrupt as an NMI (the sampling profiler's timer), which interrupts
   * code running with interrupts disabled; returns the function that masks it again.
   */
  routeIsaIrqAsNmi(irq: number): () => void {
    const override = this.loadMadt().overrides.find((o) => o.isaIrq === irq);
    const gsi = override?.gsi ?? irq;
    if (override?.levelTriggered) throw new InterruptError(`ISA IRQ ${irq} is level-triggered; an NMI must be edge-triggered`);
    const ioApic = this.ioApicFor(gsi);
    ioApic.routeNmi(gsi, this.hardware.localApicId, override?.activeLow ?? false);
    return () => ioApic.setMasked(gsi, true);
  }

  /** The machine's MADT (parsed on first use), or the conventional layout on a machine without ACPI. */
  loadMadt(): Madt {
    this.madt ??= hasAcpi(this.platform) ? parseMadt(readAcpiTables(this.platform)) : CONVENTIONAL_LAYOUT;
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
