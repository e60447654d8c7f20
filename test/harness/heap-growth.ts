/** Heap growth that still counts as allocating nothing: one small object per cycle would be 160 KB or more. */
export const NO_ALLOCATION_BYTES = 32 * 1024;

/**
 * Runs `cycle(20_000)` to warm up, then seven rounds of `cycle(10_000)`, and returns the median
 * heap growth of a round: the median is blind both to a round that still sees code being
 * optimised and to one where a collection hid garbage.
 */
export function medianHeapGrowth(cycle: (count: number) => void): number {
  cycle(20_000);
  const growth: number[] = [];
  for (let round = 0; round < 7; round++) {
    const before = process.memoryUsage().heapUsed;
    cycle(10_000);
    growth.push(process.memoryUsage().heapUsed - before);
  }
  growth.sort((a, b) => a - b);
  return growth[3];
}
