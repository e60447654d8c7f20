import { DmaSlab } from "../../kernel/dma";
import type { Platform } from "../../kernel/platform";

/** Fixed DMA buffers that data of non-DMA caller buffers passes through (one copy each way). */
export class BouncePool {
  readonly bufferSize: number;
  private readonly slab: DmaSlab;
  private readonly freeStack: Int32Array;
  private freeTop: number;

  constructor(platform: Platform, count: number, bufferSize: number) {
    this.bufferSize = bufferSize;
    this.slab = new DmaSlab(platform, count, bufferSize);
    this.freeStack = new Int32Array(count);
    for (let i = 0; i < count; i++) this.freeStack[i] = i;
    this.freeTop = count;
  }

  /** A free buffer index, or -1. */
  acquire(): number {
    return this.freeTop === 0 ? -1 : this.freeStack[--this.freeTop];
  }

  release(index: number): void {
    this.freeStack[this.freeTop++] = index;
  }

  physical(index: number): number {
    return this.slab.physical(index);
  }

  bytes(index: number): Uint8Array {
    return this.slab.bytes(index);
  }
}
