import { IndirectTables } from "./indirect-tables";
import { LeWords, loadU64, storeU64 } from "../le-words";
import type { DmaRegion, Platform } from "../../../kernel/platform";
import { AVAIL_NO_INTERRUPT, Desc, DescFlag, MAX_QUEUE_SIZE, RING_HEADER_SIZE, USED_ELEM_SIZE, USED_NO_NOTIFY } from "./split-format";
import { VirtioUsageError } from "../errors";
import { vringNeedEvent } from "./event-idx";
import { splitRingLayout } from "./split-layout";
import { ChainState, Completion, VirtqueueBase, type QueueNotifier, type VirtqueueOptions } from "./virtqueue";
import type { QueueAddresses, RingPlacement } from "../transport/transport";

export interface SplitVirtqueueOptions extends VirtqueueOptions {
  readonly placement: RingPlacement;
}

const AVAIL_FLAGS = 0;
const AVAIL_IDX = 2;
const USED_FLAGS = 0;
const USED_IDX = 2;
const USED_ELEM_LEN = 4;
const NO_HEAD = -1;

/**
 * A split virtqueue (virtio 1.2 section 2.7), driver side. The rings live in DMA memory and are
 * only ever written by the driver (descriptors, avail) or read and validated (used); every piece of
 * bookkeeping is in private typed arrays. Nothing on the submit/complete path allocates.
 *
 * Impossible used entries (an id that is not the head of a chain in flight, a used index more
 * entries ahead than are in flight, an in-order batch longer than the used index moved) break the
 * queue. With VIRTIO_F_IN_ORDER descriptors are handed out in ring order (the free list is never
 * reordered) and one used entry may complete several chains.
 */
export class SplitVirtqueue<T = unknown> extends VirtqueueBase<T> {
  readonly addresses: QueueAddresses;
  readonly maxChainLength: number;

  private readonly mask: number;
  private readonly region: DmaRegion;
  /** The ring's memory as 16- and 32-bit words; the indices below are word indices into them. */
  private readonly ring16: Uint16Array;
  private readonly ring32: Uint32Array;
  private readonly availFlags16: number;
  private readonly availIdx16: number;
  /** avail ring entry 0. */
  private readonly availRing16: number;
  private readonly usedFlags16: number;
  private readonly usedIdx16: number;
  /** used ring element 0. */
  private readonly usedRing32: number;
  private readonly usedEvent16: number;
  private readonly availEvent16: number;
  private readonly indirect: IndirectTables | undefined;

  /** Free-list links, and the links of chains in flight (chains are popped in list order). */
  private readonly next: Uint16Array;
  private readonly chainDescriptors: Uint16Array;
  private freeHead = 0;
  private free: number;
  private availIdx = 0;
  private kickedIdx = 0;
  private lastUsed = 0;
  /** usedIdx - lastUsed when the current used entry was fetched. */
  private usedAhead = 0;

  private released = false;
  private buildHead = NO_HEAD;
  private buildTail = NO_HEAD;
  private buildCount = 0;
  private buildWritable = 0;
  private buildSawWritable = false;
  private buildOverflow = false;

  constructor(
    private readonly platform: Platform,
    private readonly notifier: QueueNotifier,
    options: SplitVirtqueueOptions,
  ) {
    const { size } = options;
    if (!(size >= 1 && size <= MAX_QUEUE_SIZE && (size & (size - 1)) === 0)) {
      throw new VirtioUsageError(options.deviceName, "queue-size", `queue ${options.index}: size ${size} is not a power of two <= ${MAX_QUEUE_SIZE}`);
    }
    super(options);
    this.mask = size - 1;
    const layout = splitRingLayout(size, options.placement);
    this.region = platform.allocDma(layout.totalSize, { align: Math.max(options.placement.align, 4096) });
    const words = new LeWords(this.region.buffer);
    this.ring16 = words.u16;
    this.ring32 = words.u32;
    this.availFlags16 = (layout.avail + AVAIL_FLAGS) >>> 1;
    this.availIdx16 = (layout.avail + AVAIL_IDX) >>> 1;
    this.availRing16 = (layout.avail + RING_HEADER_SIZE) >>> 1;
    this.usedFlags16 = (layout.used + USED_FLAGS) >>> 1;
    this.usedIdx16 = (layout.used + USED_IDX) >>> 1;
    this.usedRing32 = (layout.used + RING_HEADER_SIZE) >>> 2;
    this.usedEvent16 = layout.usedEvent >>> 1;
    this.availEvent16 = layout.availEvent >>> 1;
    this.addresses = {
      descriptorArea: this.region.physical + layout.desc,
      driverArea: this.region.physical + layout.avail,
      deviceArea: this.region.physical + layout.used,
    };
    this.indirect = IndirectTables.create(platform, size, options.indirectEntries, Desc.Size);
    this.maxChainLength = this.indirect?.entries ?? size;
    this.next = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.next[i] = (i + 1) & this.mask;
    this.free = size;
    this.chainDescriptors = new Uint16Array(size);
  }

  /** Free descriptors; with indirect tables every chain needs exactly one. */
  get freeCount(): number {
    return this.free;
  }

  begin(): void {
    if (this.chain !== ChainState.Idle) {
      if (this.broken !== undefined) throw this.broken;
      this.abort();
    }
    this.chain = ChainState.Building;
    this.buildHead = this.free > 0 ? this.freeHead : NO_HEAD;
    this.buildTail = NO_HEAD;
    this.buildCount = 0;
    this.buildWritable = 0;
    this.buildSawWritable = false;
    this.buildOverflow = this.buildHead === NO_HEAD;
  }

  // The chain-building entry points (begin, addReadable, addWritable and the checks at the top of
  // add) are written in each layout on purpose: moved into VirtqueueBase, one prototype further
  // from the queue, they cost 2.4% more guest instructions per split round trip (730 of 29,800;
  // `npm run bench -- virtqueue`), since the guest's interpreter neither inlines nor caches lookups.
  addReadable(physical: number, length: number): void {
    if (this.buildSawWritable) {
      this.abort();
      throw new VirtioUsageError(this.deviceName, "chain-order", `queue ${this.index}: readable buffer after a writable one`);
    }
    this.add(physical, length, 0);
  }

  addWritable(physical: number, length: number): void {
    this.buildSawWritable = true;
    this.buildWritable += length;
    this.add(physical, length, DescFlag.Write);
  }

  /** Drops the chain being built, giving its descriptors back. */
  abort(): void {
    if (this.chain !== ChainState.Building) return;
    if (this.indirect === undefined && this.buildCount > 0) {
      this.freeHead = this.buildHead;
      this.free += this.buildCount;
    }
    this.chain = ChainState.Idle;
  }

  publish(token: T): boolean {
    if (this.chain !== ChainState.Building || this.buildOverflow || this.buildCount === 0) {
      if (this.broken !== undefined) throw this.broken;
      this.abort();
      return false;
    }
    this.chain = ChainState.Idle;
    const head = this.buildHead;
    if (this.indirect !== undefined) this.finishIndirect(this.indirect, head);
    else this.chainDescriptors[head] = this.buildCount;
    this.chainWritable[head] = this.buildWritable;
    this.tokens[head] = token;
    this.inFlight++;
    if (this.inOrder) this.recordOrder(head);
    const ring16 = this.ring16;
    const availIdx = this.availIdx;
    ring16[this.availRing16 + (availIdx & this.mask)] = head;
    this.platform.barrier();
    const nextIdx = (availIdx + 1) & 0xffff;
    this.availIdx = nextIdx;
    ring16[this.availIdx16] = nextIdx;
    return true;
  }

  kick(): boolean {
    if (this.availIdx === this.kickedIdx) return false;
    if (this.broken !== undefined) throw this.broken;
    this.platform.barrier();
    const oldIdx = this.kickedIdx;
    this.kickedIdx = this.availIdx;
    const wanted = this.eventIdx
      ? vringNeedEvent(this.ring16[this.availEvent16], this.availIdx, oldIdx)
      : (this.ring16[this.usedFlags16] & USED_NO_NOTIFY) === 0;
    if (wanted) {
      this.notifications++;
      this.notifier.notify(this.index);
    }
    return wanted;
  }

  /** Asks the device not to interrupt (best effort: with EVENT_IDX at most one more may come). */
  disableInterrupts(): void {
    if (this.broken === undefined && !this.eventIdx) this.ring16[this.availFlags16] = AVAIL_NO_INTERRUPT;
  }

  enableInterrupts(): boolean {
    if (this.broken !== undefined) return false;
    if (this.eventIdx) this.ring16[this.usedEvent16] = this.lastUsed;
    else this.ring16[this.availFlags16] = 0;
    this.platform.barrier();
    return this.hasCompletions();
  }

  /** Frees the DMA memory (the device must have been reset first); the queue is broken from then on. */
  destroy(): void {
    if (this.released) return;
    this.retire();
    this.released = true;
    this.platform.freeDma(this.region);
    this.indirect?.free(this.platform);
  }

  /** No avail index is -1: kick always goes on to the broken check. */
  protected stopKicks(): void {
    this.kickedIdx = -1;
  }

  protected usedWaiting(): boolean {
    return this.ring16[this.usedIdx16] !== this.lastUsed;
  }

  nextCompletion(): Completion {
    if (this.broken !== undefined) return Completion.Broken;
    let usedId = 0;
    let usedLength = 0;
    // Fields read more than once are read once into locals: the interpreter looks each read up.
    const lastUsed = this.lastUsed;
    if (this.batchRemaining === 0) {
      const usedIdx = this.ring16[this.usedIdx16];
      if (usedIdx === lastUsed) return Completion.None;
      this.platform.barrier();
      const ahead = (usedIdx - lastUsed) & 0xffff;
      this.usedAhead = ahead;
      if (ahead > this.inFlight) {
        return this.breakRing("used-idx", `used idx ${usedIdx} is more than ${this.inFlight} past ${lastUsed}`);
      }
      const ring32 = this.ring32;
      const elem = this.usedRing32 + (USED_ELEM_SIZE >>> 2) * (lastUsed & this.mask);
      usedId = ring32[elem];
      usedLength = ring32[elem + (USED_ELEM_LEN >>> 2)];
    }
    const head = this.complete(usedId, usedLength);
    if (head < 0) return Completion.Broken;
    // Every chain completed moves past one used index, in order ones included.
    this.lastUsed = (lastUsed + 1) & 0xffff;
    const count = this.chainDescriptors[head];
    this.free += count;
    // In order, chains come back in the order they were taken from the free list, which therefore
    // stays in ring order without relinking.
    if (this.inOrder) return Completion.Taken;
    let tail = head;
    for (let i = count; i > 1; i--) tail = this.next[tail];
    this.next[tail] = this.freeHead;
    this.freeHead = head;
    return Completion.Taken;
  }

  /** An in-order used entry stands for as many chains as the used index moved past it. */
  protected usedSpan(): number {
    return this.usedAhead;
  }

  private add(physical: number, length: number, flags: number): void {
    if (this.chain !== ChainState.Building) throw this.broken ?? new VirtioUsageError(this.deviceName, "chain-state", `queue ${this.index}: add without begin`);
    if (this.buildOverflow) return;
    const indirect = this.indirect;
    if (indirect !== undefined) {
      if (this.buildCount === indirect.entries) {
        this.buildOverflow = true;
        return;
      }
      const entry = indirect.offset(this.buildHead) + this.buildCount * Desc.Size;
      const u16 = indirect.u16;
      writeDescriptor(indirect.u32, u16, entry, physical, length, flags, 0);
      if (this.buildCount > 0) linkDescriptor(u16, entry - Desc.Size, this.buildCount);
      this.buildCount++;
      return;
    }
    if (this.free === 0) {
      this.buildOverflow = true;
      return;
    }
    const d = this.freeHead;
    this.freeHead = this.next[d];
    this.free--;
    const ring16 = this.ring16;
    writeDescriptor(this.ring32, ring16, d * Desc.Size, physical, length, flags, 0);
    if (this.buildTail !== NO_HEAD) linkDescriptor(ring16, this.buildTail * Desc.Size, d);
    this.buildTail = d;
    this.buildCount++;
  }

  /** One direct descriptor: the single entry itself, or a pointer to the head's table. */
  private finishIndirect(indirect: IndirectTables, head: number): void {
    const table = indirect.offset(head);
    if (this.buildCount === 1) {
      const { u16, u32 } = indirect;
      const physical = loadU64(u32, (table + Desc.Addr) >>> 2);
      writeDescriptor(this.ring32, this.ring16, head * Desc.Size, physical, u32[(table + Desc.Len) >>> 2], u16[(table + Desc.Flags) >>> 1], 0);
    } else {
      writeDescriptor(this.ring32, this.ring16, head * Desc.Size, indirect.physical(head), this.buildCount * Desc.Size, DescFlag.Indirect, 0);
    }
    this.freeHead = this.next[head];
    this.free--;
    this.chainDescriptors[head] = 1;
  }
}

/** Writes the 16-byte descriptor at byte offset `at` of the memory `u32` and `u16` view. */
function writeDescriptor(u32: Uint32Array, u16: Uint16Array, at: number, physical: number, length: number, flags: number, next: number): void {
  storeU64(u32, (at + Desc.Addr) >>> 2, physical);
  u32[(at + Desc.Len) >>> 2] = length;
  u16[(at + Desc.Flags) >>> 1] = flags;
  u16[(at + Desc.Next) >>> 1] = next;
}

/** Chains the descriptor at byte offset `at` to descriptor `next`. */
function linkDescriptor(u16: Uint16Array, at: number, next: number): void {
  u16[(at + Desc.Flags) >>> 1] |= DescFlag.Next;
  u16[(at + Desc.Next) >>> 1] = next;
}
