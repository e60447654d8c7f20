import {
  MSIX_ENABLE,
  MsixReg,
  PCI_BAR_IO,
  PCI_BAR_MEM_PREFETCHABLE,
  PCI_BAR_MEM_TYPE_64,
  PCI_CAPABILITY_MIN_OFFSET,
  PCI_CONFIG_ENABLE,
  PCI_HEADER_MULTIFUNCTION,
  PCI_STATUS_CAPABILITIES,
  PciCommand,
  PciHeaderType,
  PciReg,
} from "../../kernel/pci/registers";
import type { RegisterBlock } from "./registers";
import type { ViolationLog } from "./violations";

export type SimBarKind = "io" | "mem32" | "mem64";

export interface SimBarSpec {
  readonly kind: SimBarKind;
  /** Power of two. */
  readonly size: number;
  /** Firmware-assigned address (0 = unassigned). */
  readonly base: number;
  readonly prefetchable?: boolean;
  readonly registers?: RegisterBlock;
}

interface SimBar extends SimBarSpec {
  base: number;
}

export interface SimFunctionOptions {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly classCode?: number;
  readonly revision?: number;
  readonly subsystemVendorId?: number;
  readonly subsystemId?: number;
  readonly headerType?: number;
  readonly multifunction?: boolean;
  readonly interruptPin?: number;
  readonly interruptLine?: number;
  /** Bridges: the bus numbers firmware programmed. */
  readonly secondaryBus?: number;
  readonly subordinateBus?: number;
}

const TWO_POW_32 = 0x1_0000_0000;
const COMMAND_WRITABLE = PciCommand.IoSpace | PciCommand.MemorySpace | PciCommand.BusMaster | PciCommand.InterruptDisable;
const BAR_REGISTERS = 6;

/** One PCI function: 256 bytes of config space with per-bit write masks and live BARs. */
export class SimPciFunction {
  readonly config = new Uint8Array(256);
  private readonly writable = new Uint8Array(256);
  private readonly bars: (SimBar | undefined)[] = new Array(BAR_REGISTERS).fill(undefined);
  /** Runs after every configuration write (interrupt state follows the command and MSI-X control). */
  onConfigWrite: (() => void) | undefined;
  private nextCapability = PCI_CAPABILITY_MIN_OFFSET;
  private lastCapability = -1;

  constructor(
    readonly bus: number,
    readonly device: number,
    readonly fn: number,
    options: SimFunctionOptions,
    private readonly violations: ViolationLog,
  ) {
    const headerType = options.headerType ?? PciHeaderType.Endpoint;
    this.poke16(PciReg.VendorId, options.vendorId);
    this.poke16(PciReg.DeviceId, options.deviceId);
    this.poke8(PciReg.Revision, options.revision ?? 0);
    this.poke8(PciReg.ClassCode, (options.classCode ?? 0) & 0xff);
    this.poke16(PciReg.ClassCode + 1, (options.classCode ?? 0) >>> 8);
    this.poke8(PciReg.HeaderType, headerType | (options.multifunction ? PCI_HEADER_MULTIFUNCTION : 0));
    this.poke8(PciReg.InterruptPin, options.interruptPin ?? 0);
    this.poke8(PciReg.InterruptLine, options.interruptLine ?? 0);
    this.setWritable(PciReg.Command, 2, COMMAND_WRITABLE);
    this.setWritable(PciReg.InterruptLine, 1, 0xff);
    if (headerType === PciHeaderType.Bridge) {
      this.poke8(PciReg.SecondaryBus, options.secondaryBus ?? 0);
      this.poke8(PciReg.SubordinateBus, options.subordinateBus ?? options.secondaryBus ?? 0);
      this.setWritable(PciReg.SecondaryBus, 2, 0xffff);
    } else {
      this.poke16(PciReg.SubsystemVendorId, options.subsystemVendorId ?? 0);
      this.poke16(PciReg.SubsystemId, options.subsystemId ?? 0);
    }
  }

  get name(): string {
    const h = (v: number) => v.toString(16).padStart(2, "0");
    return `pci ${h(this.bus)}:${h(this.device)}.${this.fn}`;
  }

  get command(): number {
    return this.config[PciReg.Command] | (this.config[PciReg.Command + 1] << 8);
  }

  setBar(index: number, spec: SimBarSpec): void {
    this.bars[index] = { ...spec };
    this.writeBarRegisters(index, spec.base);
  }

  /** Appends a capability (bytes after the 2-byte header) and links it; returns its offset. */
  addCapability(id: number, body: readonly number[]): number {
    const offset = this.nextCapability;
    this.poke8(offset, id);
    this.poke8(offset + 1, 0);
    body.forEach((b, i) => this.poke8(offset + 2 + i, b));
    if (this.lastCapability < 0) this.poke8(PciReg.CapabilitiesPointer, offset);
    else this.poke8(this.lastCapability + 1, offset);
    this.poke16(PciReg.Status, this.peek16(PciReg.Status) | PCI_STATUS_CAPABILITIES);
    this.lastCapability = offset;
    this.nextCapability = Math.ceil((offset + 2 + body.length) / 4) * 4;
    return offset;
  }

  setWritable(offset: number, width: number, mask: number): void {
    for (let i = 0; i < width; i++) this.writable[offset + i] = (mask >>> (8 * i)) & 0xff;
  }

  poke8(offset: number, value: number): void {
    this.config[offset] = value & 0xff;
  }
  poke16(offset: number, value: number): void {
    this.poke8(offset, value);
    this.poke8(offset + 1, value >>> 8);
  }
  poke32(offset: number, value: number): void {
    this.poke16(offset, value);
    this.poke16(offset + 2, value >>> 16);
  }
  peek16(offset: number): number {
    return this.config[offset] | (this.config[offset + 1] << 8);
  }

  isMsixEnabled(capOffset: number): boolean {
    return (this.peek16(capOffset + MsixReg.MessageControl) & MSIX_ENABLE) !== 0;
  }

  readConfig(offset: number, width: number): number {
    let value = 0;
    for (let i = width - 1; i >= 0; i--) value = value * 256 + this.config[offset + i];
    return value;
  }

  writeConfig(offset: number, width: number, value: number): void {
    const barIndex = (offset - PciReg.Bar0) >> 2;
    if (offset >= PciReg.Bar0 && barIndex < this.barCount()) {
      if (width !== 4) this.violations.record(this.name, `${width}-byte write to BAR register 0x${offset.toString(16)}`);
      else this.writeBar(barIndex, value >>> 0);
      return;
    }
    for (let i = 0; i < width; i++) {
      const at = offset + i;
      const byte = Math.floor(value / 2 ** (8 * i)) & 0xff;
      this.config[at] = (this.config[at] & ~this.writable[at]) | (byte & this.writable[at]);
    }
    this.onConfigWrite?.();
  }

  /** The BAR (if decoded now) containing `address` in the given space, with the offset in it. */
  claim(space: "io" | "mem", address: number): { registers: RegisterBlock; offset: number } | undefined {
    const enable = space === "io" ? PciCommand.IoSpace : PciCommand.MemorySpace;
    if ((this.command & enable) === 0) return undefined;
    for (const bar of this.bars) {
      if (bar === undefined || bar.registers === undefined || bar.base === 0) continue;
      if ((bar.kind === "io") !== (space === "io")) continue;
      if (address >= bar.base && address < bar.base + bar.size) return { registers: bar.registers, offset: address - bar.base };
    }
    return undefined;
  }

  private barCount(): number {
    return (this.config[PciReg.HeaderType] & 0x7f) === PciHeaderType.Bridge ? 2 : BAR_REGISTERS;
  }

  private writeBar(register: number, value: number): void {
    const upperOf = register > 0 ? this.bars[register - 1] : undefined;
    if (upperOf !== undefined && upperOf.kind === "mem64") {
      this.checkSizingAllowed(upperOf, value);
      const low = upperOf.base % TWO_POW_32;
      upperOf.base = value * TWO_POW_32 + low;
      this.writeBarRegisters(register - 1, upperOf.base);
      return;
    }
    const bar = this.bars[register];
    if (bar === undefined) return;
    this.checkSizingAllowed(bar, value);
    const high = bar.kind === "mem64" ? Math.floor(bar.base / TWO_POW_32) : 0;
    const low = (value & ~(bar.size - 1) & (bar.kind === "io" ? ~0x3 : ~0xf)) >>> 0;
    bar.base = high * TWO_POW_32 + low;
    this.writeBarRegisters(register, bar.base);
  }

  private checkSizingAllowed(bar: SimBar, value: number): void {
    const enable = bar.kind === "io" ? PciCommand.IoSpace : PciCommand.MemorySpace;
    if (value === 0xffff_ffff && (this.command & enable) !== 0) {
      this.violations.record(this.name, "BAR sized with decoding enabled");
    }
  }

  private writeBarRegisters(index: number, base: number): void {
    const bar = this.bars[index] as SimBar;
    const flags =
      bar.kind === "io"
        ? PCI_BAR_IO
        : (bar.kind === "mem64" ? PCI_BAR_MEM_TYPE_64 : 0) | (bar.prefetchable ? PCI_BAR_MEM_PREFETCHABLE : 0);
    this.poke32(PciReg.Bar0 + index * 4, ((base % TWO_POW_32) | flags) >>> 0);
    if (bar.kind === "mem64") this.poke32(PciReg.Bar0 + (index + 1) * 4, Math.floor(base / TWO_POW_32));
  }
}

/** Configuration mechanism #1 and address decoding for all simulated functions. */
export class SimPciBus {
  private readonly functions = new Map<number, SimPciFunction>();
  private address = 0;

  constructor(private readonly violations: ViolationLog) {}

  add(bus: number, device: number, fn: number, options: SimFunctionOptions): SimPciFunction {
    const f = new SimPciFunction(bus, device, fn, options, this.violations);
    this.functions.set(key(bus, device, fn), f);
    return f;
  }

  get all(): SimPciFunction[] {
    return [...this.functions.values()];
  }

  writeAddress(width: number, value: number): void {
    if (width !== 4) this.violations.record("pci", `${width}-byte access to CONFIG_ADDRESS`);
    else this.address = value >>> 0;
  }

  readAddress(): number {
    return this.address;
  }

  readData(byte: number, width: number): number {
    const target = this.target(byte, width);
    return target ? target.fn.readConfig(target.offset, width) : 2 ** (8 * width) - 1;
  }

  writeData(byte: number, width: number, value: number): void {
    const target = this.target(byte, width);
    target?.fn.writeConfig(target.offset, width, value);
  }

  claim(space: "io" | "mem", address: number): { registers: RegisterBlock; offset: number } | undefined {
    for (const fn of this.functions.values()) {
      const hit = fn.claim(space, address);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  private target(byte: number, width: number): { fn: SimPciFunction; offset: number } | undefined {
    if (byte + width > 4) {
      this.violations.record("pci", `${width}-byte config data access at 0xcfc+${byte} crosses the dword`);
      return undefined;
    }
    const a = this.address;
    if ((a & PCI_CONFIG_ENABLE) === 0) return undefined;
    const fn = this.functions.get(key((a >>> 16) & 0xff, (a >>> 11) & 0x1f, (a >>> 8) & 7));
    return fn && { fn, offset: (a & 0xfc) + byte };
  }
}

function key(bus: number, device: number, fn: number): number {
  return (bus << 8) | (device << 3) | fn;
}

