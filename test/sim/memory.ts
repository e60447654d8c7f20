import type { DmaRegion } from "../../kernel/platform";

/** Node's structured clone with a transfer list detaches a buffer, as the real freeDma does. */
declare const structuredClone: ((value: unknown, options: { transfer: ArrayBuffer[] }) => unknown) | undefined;

function detach(buffer: ArrayBuffer): void {
  if (typeof structuredClone === "function") structuredClone(buffer, { transfer: [buffer] });
}

interface LiveRegion extends DmaRegion {
  readonly bytes: Uint8Array;
}

/**
 * Simulated RAM for DMA: every allocation is its own ArrayBuffer at a physical address, so a
 * device access is valid only inside a live allocation (freed buffers are detached).
 */
export class SimMemory {
  private readonly regions: LiveRegion[] = [];
  private last: LiveRegion | undefined;

  constructor(
    readonly base: number,
    readonly capacity: number,
  ) {}

  allocate(size: number, align: number, limit: number): DmaRegion {
    if (!(size > 0) || (align & (align - 1)) !== 0) throw new RangeError(`bad DMA request size ${size} align ${align}`);
    let candidate = this.base;
    for (const region of this.regions) {
      candidate = Math.ceil(candidate / align) * align;
      if (candidate + size <= region.physical) break;
      candidate = region.physical + region.size;
    }
    candidate = Math.ceil(candidate / align) * align;
    if (candidate + size > Math.min(limit, this.base + this.capacity)) throw new RangeError(`no ${size}-byte DMA range free`);
    const buffer = new ArrayBuffer(size);
    const region: LiveRegion = { physical: candidate, size, buffer, bytes: new Uint8Array(buffer) };
    this.regions.push(region);
    this.regions.sort((a, b) => a.physical - b.physical);
    return region;
  }

  free(region: DmaRegion): void {
    const index = this.regions.findIndex((r) => r.physical === region.physical && r.buffer === region.buffer);
    if (index < 0) throw new Error(`freeDma of unknown region 0x${region.physical.toString(16)}`);
    this.regions.splice(index, 1);
    if (this.last === region) this.last = undefined;
    detach(region.buffer);
  }

  /**
   * Frees [physical, +length) out of one live allocation: the rest of it stays allocated (copied to
   * new buffers), the part freed is detached like a freed region.
   */
  release(physical: number, length: number): void {
    const region = this.find(physical, length);
    if (region === undefined) throw new Error(`release of 0x${physical.toString(16)}+${length}: not inside one allocation`);
    const kept: LiveRegion[] = [];
    const keep = (from: number, to: number): void => {
      if (to <= from) return;
      const bytes = region.bytes.slice(from - region.physical, to - region.physical);
      kept.push({ physical: from, size: to - from, buffer: bytes.buffer, bytes });
    };
    keep(region.physical, physical);
    keep(physical + length, region.physical + region.size);
    this.free(region);
    this.regions.push(...kept);
    this.regions.sort((a, b) => a.physical - b.physical);
  }

  /** Bytes in live allocations. */
  get allocatedBytes(): number {
    return this.regions.reduce((sum, region) => sum + region.size, 0);
  }

  /** A view of [physical, +length) if it lies wholly inside one live allocation. */
  bytes(physical: number, length: number): Uint8Array | undefined {
    const region = this.find(physical, length);
    return region && region.bytes.subarray(physical - region.physical, physical - region.physical + length);
  }

  dataView(physical: number, length: number): DataView | undefined {
    const region = this.find(physical, length);
    return region && new DataView(region.buffer, physical - region.physical, length);
  }

  private find(physical: number, length: number): LiveRegion | undefined {
    const inside = (r: LiveRegion) => physical >= r.physical && physical + length <= r.physical + r.size;
    if (this.last !== undefined && inside(this.last)) return this.last;
    this.last = this.regions.find(inside);
    return this.last;
  }
}
