import type { InterruptHardware } from "../../kernel/irq/hardware";
import type { DmaOptions, DmaRegion, Mmio, Platform, PortIo } from "../../kernel/platform";
import { FOUR_GIB, PAGE_SIZE } from "../../kernel/platform";
import { PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT } from "../../kernel/pci/registers";
import { BIOS_AREA_BASE, SIM_IO_APIC_ADDRESS, SIM_IO_APIC_ID, buildBiosArea, simWire } from "./acpi";
import { SimLocalApic } from "./apic";
import { IO_APIC_WINDOW, SimIoApic } from "./ioapic";
import { SimMemory } from "./memory";
import { SimPciBus } from "./pci";
import type { AccessWidth, RegisterBlock } from "./registers";
import { ViolationLog } from "./violations";

export const SIM_DMA_BASE = 0x4000_0000;
export const SIM_DMA_CAPACITY = 64 * 1024 * 1024;
/** Each clock read moves simulated time on, so bounded waits always end. */
export const SIM_CLOCK_STEP_NS = 1_000;

interface Window {
  readonly base: number;
  readonly size: number;
  readonly registers: RegisterBlock;
}

export class SimExit extends Error {
  constructor(readonly status: number) {
    super(`machine exited with ${status}`);
  }
}

/**
 * A strict simulated x86 machine implementing `Platform` for tests, and `InterruptHardware`:
 * ACPI tables in the BIOS area, an I/O APIC, and the local APIC's pending vectors.
 */
export class SimMachine implements Platform, InterruptHardware {
  readonly violations = new ViolationLog();
  readonly memory = new SimMemory(SIM_DMA_BASE, SIM_DMA_CAPACITY);
  readonly pci = new SimPciBus(this.violations);
  readonly apic = new SimLocalApic(this.violations);
  readonly ioApic = new SimIoApic(SIM_IO_APIC_ID, this.apic, simWire, this.violations);
  readonly localApicId = this.apic.localApicId;
  readonly firstDeviceVector = this.apic.firstDeviceVector;
  private readonly biosArea = buildBiosArea();
  readonly ports: PortIo;
  readonly mmio: Mmio;
  readonly commandLine: string;
  serialOutput = "";
  private readonly mmioWindows: Window[] = [];
  private readonly mapped: { base: number; end: number }[] = [];
  /** Run on every `waitForInterrupt`: devices doing deferred work. */
  private readonly idleHooks: (() => void)[] = [];
  private clock = 0;
  private nextIo = 0xc000;
  private nextMem = 0xfe00_0000;

  constructor(commandLine = "") {
    this.commandLine = commandLine;
    this.ports = {
      read8: (p) => this.portRead(p, 1),
      read16: (p) => this.portRead(p, 2),
      read32: (p) => this.portRead(p, 4),
      write8: (p, v) => this.portWrite(p, 1, v),
      write16: (p, v) => this.portWrite(p, 2, v),
      write32: (p, v) => this.portWrite(p, 4, v),
    };
    this.mmio = {
      read8: (a) => this.memRead(a, 1),
      read16: (a) => this.memRead(a, 2),
      read32: (a) => this.memRead(a, 4),
      read64: (a) => BigInt(this.memRead(a, 8)),
      write8: (a, v) => this.memWrite(a, 1, v),
      write16: (a, v) => this.memWrite(a, 2, v),
      write32: (a, v) => this.memWrite(a, 4, v),
      write64: (a, v) => this.memWrite(a, 8, Number(v)),
    };
    this.addMmioWindow(SIM_IO_APIC_ADDRESS, IO_APIC_WINDOW, this.ioApic);
  }

  addMmioWindow(base: number, size: number, registers: RegisterBlock): void {
    this.mmioWindows.push({ base, size, registers });
  }

  /** Firmware-style address assignment for simulated BARs (naturally aligned). */
  allocateIo(size: number): number {
    const base = Math.ceil(this.nextIo / size) * size;
    this.nextIo = base + size;
    if (this.nextIo > 0x1_0000) throw new RangeError("simulated I/O space exhausted");
    return base;
  }

  allocateMem(size: number): number {
    const base = Math.ceil(this.nextMem / size) * size;
    this.nextMem = base + size;
    return base;
  }

  onIdle(hook: () => void): void {
    this.idleHooks.push(hook);
  }

  mapPhysical(address: number, length: number): void {
    this.mapped.push({ base: address, end: address + length });
  }

  /** RAM views are live; the BIOS area is ROM, so a copy of exactly `length` bytes serves. */
  physicalView(address: number, length: number): ArrayBuffer {
    const rom = address - BIOS_AREA_BASE;
    if (rom >= 0 && rom + length <= this.biosArea.length) return this.biosArea.slice(rom, rom + length).buffer;
    const view = this.memory.bytes(address, length);
    if (view === undefined || view.byteOffset !== 0) throw new RangeError(`no simulated RAM view at 0x${address.toString(16)}`);
    return view.buffer as ArrayBuffer;
  }

  allocDma(size: number, options: DmaOptions = {}): DmaRegion {
    return this.memory.allocate(size, Math.max(options.align ?? PAGE_SIZE, PAGE_SIZE), options.limit ?? FOUR_GIB);
  }

  freeDma(region: DmaRegion): void {
    this.memory.free(region);
  }

  /** A run of pages is allocated memory like any other, so a device's accesses to it are checked the same way. */
  takePages(count: number): number {
    if (!(Number.isInteger(count) && count > 0)) throw new RangeError(`takePages of ${count} pages`);
    return this.memory.allocate(count * PAGE_SIZE, PAGE_SIZE, FOUR_GIB).physical;
  }

  returnPages(physical: number, count: number): void {
    this.memory.release(physical, count * PAGE_SIZE);
  }

  barrier(): void {}

  monotonicNs(): number {
    this.clock += SIM_CLOCK_STEP_NS;
    return this.clock;
  }

  wallClockMs(): number {
    return 1_700_000_000_000 + Math.floor(this.clock / 1e6);
  }

  serialWrite(text: string): void {
    this.serialOutput += text;
  }

  exit(status: number): never {
    throw new SimExit(status);
  }

  /** Returns without passing time when a device vector is waiting to be taken. */
  waitForInterrupt(deadlineNs: number): void {
    this.ioApic.endOfInterrupt();
    for (const hook of this.idleHooks) hook();
    if (!this.apic.hasPending && deadlineNs > this.clock) this.clock = deadlineNs;
  }

  takeInterrupts(vectors: Uint32Array): number {
    this.ioApic.endOfInterrupt();
    return this.apic.take(vectors);
  }

  private portRead(port: number, width: AccessWidth): number {
    if (port === PCI_CONFIG_ADDRESS_PORT && width === 4) return this.pci.readAddress();
    if (port >= PCI_CONFIG_DATA_PORT && port < PCI_CONFIG_DATA_PORT + 4) return this.pci.readData(port - PCI_CONFIG_DATA_PORT, width);
    const hit = this.pci.claim("io", port);
    if (hit === undefined) {
      this.violations.record("ports", `${width}-byte read of unclaimed port 0x${port.toString(16)}`);
      return 2 ** (8 * width) - 1;
    }
    return hit.registers.read(hit.offset, width);
  }

  private portWrite(port: number, width: AccessWidth, value: number): void {
    if (port >= PCI_CONFIG_ADDRESS_PORT && port < PCI_CONFIG_ADDRESS_PORT + 4) return this.pci.writeAddress(width, value);
    if (port >= PCI_CONFIG_DATA_PORT && port < PCI_CONFIG_DATA_PORT + 4) return this.pci.writeData(port - PCI_CONFIG_DATA_PORT, width, value);
    const hit = this.pci.claim("io", port);
    if (hit === undefined) this.violations.record("ports", `${width}-byte write to unclaimed port 0x${port.toString(16)}`);
    else hit.registers.write(hit.offset, width, value);
  }

  private memTarget(address: number, width: AccessWidth): { registers: RegisterBlock; offset: number } | undefined {
    if (!this.mapped.some((m) => address >= m.base && address + width <= m.end)) {
      this.violations.record("mmio", `access to unmapped address 0x${address.toString(16)}`);
    }
    for (const w of this.mmioWindows) {
      if (address >= w.base && address < w.base + w.size) return { registers: w.registers, offset: address - w.base };
    }
    const hit = this.pci.claim("mem", address);
    if (hit === undefined) this.violations.record("mmio", `${width}-byte access to unclaimed address 0x${address.toString(16)}`);
    return hit;
  }

  private memRead(address: number, width: AccessWidth): number {
    const hit = this.memTarget(address, width);
    return hit ? hit.registers.read(hit.offset, width) : 2 ** (8 * Math.min(width, 4)) - 1;
  }

  private memWrite(address: number, width: AccessWidth, value: number): void {
    const hit = this.memTarget(address, width);
    hit?.registers.write(hit.offset, width, value);
  }
}
