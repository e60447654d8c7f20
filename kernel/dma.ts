import type { DmaOptions, DmaRegion, Platform } from "./platform";

/**
 * `count` equal DMA buffers carved from one region, with their physical addresses and CPU
 * views computed once so per-request code only indexes.
 */
export class DmaSlab {
  readonly region: DmaRegion;
  private readonly views: Uint8Array[];

  constructor(
    private readonly platform: Platform,
    readonly count: number,
    readonly slotSize: number,
    options?: DmaOptions,
  ) {
    this.region = platform.allocDma(count * slotSize, options);
    this.views = [];
    for (let i = 0; i < count; i++) this.views.push(new Uint8Array(this.region.buffer, i * slotSize, slotSize));
  }

  physical(slot: number): number {
    return this.region.physical + slot * this.slotSize;
  }

  bytes(slot: number): Uint8Array {
    return this.views[slot];
  }

  free(): void {
    this.platform.freeDma(this.region);
  }
}
