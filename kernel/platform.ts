/**
 * The hardware and system primitives the kernel builds on. The real image implements this over
 * the native kernel (kernel/platform-native.ts); the simulated machine (test/sim) implements it
 * in TypeScript, so kernel and driver code runs unchanged on both.
 */

export interface PortIo {
  read8(port: number): number;
  read16(port: number): number;
  read32(port: number): number;
  write8(port: number, value: number): void;
  write16(port: number, value: number): void;
  write32(port: number, value: number): void;
}

/** Accesses of exactly the named width at a physical address. */
export interface Mmio {
  read8(address: number): number;
  read16(address: number): number;
  read32(address: number): number;
  read64(address: number): bigint;
  write8(address: number, value: number): void;
  write16(address: number, value: number): void;
  write32(address: number, value: number): void;
  write64(address: number, value: bigint): void;
}

/** Physically contiguous memory a device can reach, with a CPU view over it. */
export interface DmaRegion {
  readonly physical: number;
  readonly size: number;
  readonly buffer: ArrayBuffer;
}

export interface DmaOptions {
  /** Power of two; default 4096. */
  align?: number;
  /** Exclusive upper bound of the physical range; default 4 GiB. */
  limit?: number;
}

export interface Platform {
  readonly ports: PortIo;
  readonly mmio: Mmio;
  /** Makes a physical range (a BAR, a firmware table) accessible; idempotent. */
  mapPhysical(address: number, length: number, device: boolean): void;
  /** An ArrayBuffer over mapped physical memory (RAM, not device registers). */
  physicalView(address: number, length: number): ArrayBuffer;
  allocDma(size: number, options?: DmaOptions): DmaRegion;
  /** Frees a region; its buffer is detached and must not be used again. */
  freeDma(region: DmaRegion): void;
  /**
   * Takes `count` physically contiguous pages out of the page allocator for memory the guest lends
   * away (a balloon's): below 4 GiB, no CPU view, contents undefined. RangeError when no such run is
   * free. Never asks for memory back (no reclaim).
   */
  takePages(count: number): number;
  /** Gives back `count` pages at `physical`: whole pages of runs `takePages` returned. */
  returnPages(physical: number, count: number): void;
  /** Full fence between CPU memory accesses and device-visible ones. */
  barrier(): void;
  monotonicNs(): number;
  wallClockMs(): number;
  readonly commandLine: string;
  /**
   * Where the ACPI RSDP is when the boot protocol says so (PVH's rsdp_paddr), so it need not be
   * searched for; undefined otherwise.
   */
  readonly rsdpAddress?: number;
  serialWrite(text: string): void;
  exit(status: number): never;
  /** Halts until an interrupt or `deadlineNs` (negative: no deadline). */
  waitForInterrupt(deadlineNs: number): void;
}

export const FOUR_GIB = 0x1_0000_0000;
export const PAGE_SIZE = 4096;
