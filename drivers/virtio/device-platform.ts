import { PAGE_SIZE, type DmaOptions, type DmaRegion, type Mmio, type Platform, type PortIo } from "../../kernel/platform";

/**
 * The platform as one virtio device and its driver see it: the same machine, except that every
 * DMA region allocated and every page run taken through it is recorded until freed. Tearing the
 * device down frees whatever is still recorded (rings, indirect tables, slabs, command buffers, a
 * balloon's pages), so no driver keeps its own list of what to free.
 */
export class DevicePlatform implements Platform {
  private readonly live = new Set<DmaRegion>();
  /** Taken page runs still out: first physical address -> pages. */
  private readonly pageRuns = new Map<number, number>();

  constructor(private readonly machine: Platform) {}

  /** DMA regions allocated through this device and not freed yet. */
  get dmaRegions(): number {
    return this.live.size;
  }

  allocDma(size: number, options?: DmaOptions): DmaRegion {
    const region = this.machine.allocDma(size, options);
    this.live.add(region);
    return region;
  }

  freeDma(region: DmaRegion): void {
    this.live.delete(region);
    this.machine.freeDma(region);
  }

  takePages(count: number): number {
    const physical = this.machine.takePages(count);
    this.pageRuns.set(physical, count);
    return physical;
  }

  /** Pages of one recorded run; what is left of the run stays recorded (as up to two runs). */
  returnPages(physical: number, count: number): void {
    const end = physical + count * PAGE_SIZE;
    for (const [start, pages] of this.pageRuns) {
      const runEnd = start + pages * PAGE_SIZE;
      if (physical < start || end > runEnd) continue;
      this.pageRuns.delete(start);
      if (physical > start) this.pageRuns.set(start, (physical - start) / PAGE_SIZE);
      if (end < runEnd) this.pageRuns.set(end, (runEnd - end) / PAGE_SIZE);
      this.machine.returnPages(physical, count);
      return;
    }
    throw new RangeError(`returnPages of ${count} pages at 0x${physical.toString(16)}: not taken through this device`);
  }

  /** Frees every recorded region and page run; only once the device can no longer reach them (after a reset). */
  freeAll(): void {
    for (const region of this.live) this.machine.freeDma(region);
    this.live.clear();
    for (const [start, pages] of this.pageRuns) this.machine.returnPages(start, pages);
    this.pageRuns.clear();
  }

  get ports(): PortIo {
    return this.machine.ports;
  }
  get mmio(): Mmio {
    return this.machine.mmio;
  }
  get commandLine(): string {
    return this.machine.commandLine;
  }
  mapPhysical(address: number, length: number, device: boolean): void {
    this.machine.mapPhysical(address, length, device);
  }
  physicalView(address: number, length: number): ArrayBuffer {
    return this.machine.physicalView(address, length);
  }
  barrier(): void {
    this.machine.barrier();
  }
  monotonicNs(): number {
    return this.machine.monotonicNs();
  }
  wallClockMs(): number {
    return this.machine.wallClockMs();
  }
  serialWrite(text: string): void {
    this.machine.serialWrite(text);
  }
  exit(status: number): never {
    return this.machine.exit(status);
  }
  waitForInterrupt(deadlineNs: number): void {
    this.machine.waitForInterrupt(deadlineNs);
  }
}
