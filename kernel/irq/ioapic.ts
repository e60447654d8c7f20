/** An I/O APIC: routes global system interrupts (GSIs) to local APIC vectors. */
import type { Mmio } from "../platform";

const IOREGSEL = 0x00;
const IOWIN = 0x10;
const REG_VERSION = 0x01;
const REG_REDIRECTION = 0x10;
const MAX_ENTRY_SHIFT = 16;
const MAX_ENTRY_MASK = 0xff;
const REDIRECT_ACTIVE_LOW = 1 << 13;
const REDIRECT_LEVEL = 1 << 15;
const REDIRECT_MASKED = 1 << 16;
const DESTINATION_SHIFT = 24;
/** Delivery mode NMI (bits 8-10): the vector field is ignored and the line must be edge-triggered. */
const DELIVERY_NMI = 0b100 << 8;
const VECTOR_MASK = 0xff;
export const IO_APIC_WINDOW_BYTES = 0x20;

export interface RouteOptions {
  readonly levelTriggered: boolean;
  readonly activeLow: boolean;
}

export class IoApic {
  readonly entries: number;

  constructor(
    private readonly mmio: Mmio,
    readonly address: number,
    readonly gsiBase: number,
  ) {
    this.entries = ((this.read(REG_VERSION) >>> MAX_ENTRY_SHIFT) & MAX_ENTRY_MASK) + 1;
  }

  handles(gsi: number): boolean {
    return gsi >= this.gsiBase && gsi < this.gsiBase + this.entries;
  }

  /** Routes `gsi` to `vector` on the CPU with `destination` local APIC ID, unmasked. */
  route(gsi: number, vector: number, destination: number, options: RouteOptions): void {
    this.program(gsi, (vector & VECTOR_MASK) | (options.levelTriggered ? REDIRECT_LEVEL : 0) | (options.activeLow ? REDIRECT_ACTIVE_LOW : 0), destination);
  }

  /** Routes edge-triggered `gsi` as a non-maskable interrupt to the CPU with `destination` local APIC ID, unmasked. */
  routeNmi(gsi: number, destination: number, activeLow: boolean): void {
    this.program(gsi, DELIVERY_NMI | (activeLow ? REDIRECT_ACTIVE_LOW : 0), destination);
  }

  private program(gsi: number, low: number, destination: number): void {
    const register = this.redirection(gsi);
    this.write(register, low | REDIRECT_MASKED);
    this.write(register + 1, destination << DESTINATION_SHIFT);
    this.write(register, low);
  }

  setMasked(gsi: number, masked: boolean): void {
    const register = this.redirection(gsi);
    const low = this.read(register);
    this.write(register, masked ? low | REDIRECT_MASKED : low & ~REDIRECT_MASKED);
  }

  private redirection(gsi: number): number {
    if (!this.handles(gsi)) throw new RangeError(`GSI ${gsi} is not on the I/O APIC at 0x${this.address.toString(16)}`);
    return REG_REDIRECTION + 2 * (gsi - this.gsiBase);
  }

  private read(register: number): number {
    this.mmio.write32(this.address + IOREGSEL, register);
    return this.mmio.read32(this.address + IOWIN);
  }

  private write(register: number, value: number): void {
    this.mmio.write32(this.address + IOREGSEL, register);
    this.mmio.write32(this.address + IOWIN, value >>> 0);
  }
}
