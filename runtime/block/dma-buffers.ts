import type { DmaRegion, Platform } from "../../kernel/platform";

/** Returned by `physicalOf` for memory a device cannot reach directly. */
export const NOT_DMA = -1;

/**
 * DMA-backed Uint8Arrays handed to apps. A request whose buffer is one of them goes to the
 * device without a copy.
 */
export class DmaBuffers {
  private readonly regions = new WeakMap<ArrayBuffer, DmaRegion>();

  constructor(private readonly platform: Platform) {}

  alloc(size: number): Uint8Array {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`DMA buffer size ${size} is not a positive integer`);
    const region = this.platform.allocDma(size);
    this.regions.set(region.buffer, region);
    return new Uint8Array(region.buffer, 0, size);
  }

  /** Frees a buffer from `alloc`; it must not be in use by a request. */
  free(buffer: Uint8Array): void {
    const region = this.regions.get(buffer.buffer as ArrayBuffer);
    if (region === undefined) throw new RangeError("not a DMA buffer from allocBuffer");
    this.regions.delete(region.buffer);
    this.platform.freeDma(region);
  }

  /** The physical address of `view[0]`, or NOT_DMA. */
  physicalOf(view: Uint8Array): number {
    const region = this.regions.get(view.buffer as ArrayBuffer);
    return region === undefined ? NOT_DMA : region.physical + view.byteOffset;
  }
}
