import type { DmaRegion, Platform } from "../../../kernel/platform";
import { LeWords } from "../le-words";

/**
 * Preallocated indirect descriptor tables, one per buffer id, for either ring layout (both use
 * 16-byte descriptors in their tables). A chain may not be longer than the queue, indirect
 * entries included (virtio 1.2 2.7.5.3.1, and likewise for packed rings), so a table never has
 * more entries than the queue.
 */
export class IndirectTables {
  /** The tables' memory as 16- and 32-bit words (`LeWords`). */
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  private readonly region: DmaRegion;

  private constructor(
    platform: Platform,
    queueSize: number,
    /** Entries per table. */
    readonly entries: number,
    private readonly entrySize: number,
  ) {
    this.region = platform.allocDma(queueSize * entries * entrySize);
    const words = new LeWords(this.region.buffer);
    this.u16 = words.u16;
    this.u32 = words.u32;
  }

  /** Tables of up to `wanted` entries, or undefined when they would not hold more than one. */
  static create(platform: Platform, queueSize: number, wanted: number, entrySize: number): IndirectTables | undefined {
    const entries = Math.min(wanted, queueSize);
    return entries > 1 ? new IndirectTables(platform, queueSize, entries, entrySize) : undefined;
  }

  /** Byte offset of buffer `id`'s table in `view`. */
  offset(id: number): number {
    return id * this.entries * this.entrySize;
  }

  /** Physical address of buffer `id`'s table. */
  physical(id: number): number {
    return this.region.physical + this.offset(id);
  }

  free(platform: Platform): void {
    platform.freeDma(this.region);
  }
}
