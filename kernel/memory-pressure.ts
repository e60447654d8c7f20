/**
 * Memory pressure: holders of pages that can give some back when the page allocator would
 * otherwise fail an allocation (a balloon negotiated with DEFLATE_ON_OOM). The allocation path of
 * the machine (kernel/platform-native.ts) asks them before it gives up.
 */
import { PAGE_SIZE } from "./platform";

/** Gives back up to `pages` pages to the allocator now; returns how many it gave back. */
export type Reclaimer = (pages: number) => number;

/** The page allocator's counts, in 4 KiB pages (what a balloon reports and keeps a floor of). */
export interface PageCounts {
  freePages(): number;
  totalPages(): number;
}

export class MemoryPressure {
  private readonly reclaimers: Reclaimer[] = [];
  private reclaiming = false;

  /** Registers `reclaimer`; the returned function unregisters it. */
  add(reclaimer: Reclaimer): () => void {
    this.reclaimers.push(reclaimer);
    return () => {
      const index = this.reclaimers.indexOf(reclaimer);
      if (index >= 0) this.reclaimers.splice(index, 1);
    };
  }

  /**
   * Asks the reclaimers in turn until `pages` came back; returns how many did. Not re-entrant: an
   * allocation a reclaimer makes while giving pages back fails as it would have without it.
   */
  reclaim(pages: number): number {
    if (this.reclaiming) return 0;
    this.reclaiming = true;
    let given = 0;
    try {
      for (const reclaimer of this.reclaimers) {
        if (given >= pages) break;
        given += reclaimer(pages - given);
      }
    } finally {
      this.reclaiming = false;
    }
    return given;
  }
}

/** The machine's: every allocation of the native platform asks it before failing. */
export const machineMemoryPressure = new MemoryPressure();

/**
 * `allocate()`; when it fails for lack of memory (the platform's RangeError), the reclaimers are
 * asked for the pages of `bytes` and, if any came back, the allocation is tried once more.
 */
export function allocateReclaiming<T>(pressure: MemoryPressure, bytes: number, allocate: () => T): T {
  try {
    return allocate();
  } catch (cause) {
    if (!(cause instanceof RangeError) || pressure.reclaim(Math.ceil(bytes / PAGE_SIZE)) === 0) throw cause;
    return allocate();
  }
}
