import { DmaSlab } from "../../kernel/dma";
import type { Platform } from "../../kernel/platform";
import { SlotPool } from "../../kernel/slot-pool";

/** Fixed DMA buffers that data of non-DMA caller buffers passes through (one copy each way). */
export class BouncePool {
  readonly bufferSize: number;
  private readonly slab: DmaSlab;
  private readonly pool: SlotPool;

  constructor(platform: Platform, count: number, bufferSize: number) {
    this.bufferSize = bufferSize;
    this.slab = new DmaSlab(platform, count, bufferSize);
    this.pool = new SlotPool(count);
  }

  /** A free buffer index, or -1. */
  acquire(): number {
    return this.pool.acquire();
  }

  release(index: number): void {
    this.pool.release(index);
  }

  physical(index: number): number {
    return this.slab.physical(index);
  }

  bytes(index: number): Uint8Array {
    return this.slab.bytes(index);
  }
}
