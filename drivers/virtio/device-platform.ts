import type { DmaOptions, DmaRegion, Mmio, Platform, PortIo } from "../../kernel/platform";

/**
 * The platform as one virtio device and its driver see it: the same machine, except that every
 * DMA region allocated through it is recorded until freed. Tearing the device down frees whatever
 * is still recorded (rings, indirect tables, slabs, command buffers), so no driver keeps its own
 * list of what to free.
 */
export class DevicePlatform implements Platform {
  private readonly live = new Set<DmaRegion>();

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

  /** Frees every recorded region; only once the device can no longer reach them (after a reset). */
  freeAll(): void {
    for (const region of this.live) this.machine.freeDma(region);
    this.live.clear();
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
