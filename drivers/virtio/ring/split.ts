import type { DmaRegion, Platform } from "../../../kernel/platform";
import { AVAIL_NO_INTERRUPT, Desc, DescFlag, MAX_QUEUE_SIZE, RING_HEADER_SIZE, USED_ELEM_SIZE, USED_NO_NOTIFY } from "./split-format";
import { VirtioRingBrokenError, VirtioUsageError } from "../errors";
import { vringNeedEvent } from "./event-idx";
import { splitRingLayout } from "./split-layout";
import type { QueueAddresses, RingPlacement, Transport } from "../transport/transport";

export type QueueNotifier = Pick<Transport, "notify">;

export interface VirtqueueOptions {
  /** Device name for errors. */
  readonly deviceName: string;
  readonly index: number;
  /** Power of two, 1..32768. */
  readonly size: number;
  readonly placement: RingPlacement;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  readonly eventIdx: boolean;
  /** Entries per preallocated indirect table (capped at `size`); 0 when INDIRECT_DESC is not used. */
  readonly indirectEntries: number;
}

export type CompletionHandler<T> = (token: T, length: number) => void;

/** What `nextCompletion` found. */
export const Completion = {
  /** Nothing (more) returned by the device. */
  None: 0,
  /** One chain came back: `completedToken` and `completedLength` describe it. */
  Taken: 1,
  /** The queue is broken (see `broken`); nothing more will come from it. */
  Broken: 2,
} as const;
export type Completion = (typeof Completion)[keyof typeof Completion];

const AVAIL_FLAGS = 0;
const AVAIL_IDX = 2;
const USED_FLAGS = 0;
const USED_IDX = 2;
const USED_ELEM_LEN = 4;
const TWO_POW_32 = 0x1_0000_0000;
const NO_HEAD = -1;
/** `broken.code` of a queue that was destroyed rather than broken by the device. */
const RELEASED = "queue-released";

/**
 * A split virtqueue, driver side. The rings live in DMA memory and are only ever written by
 * the driver (descriptors, avail) or read and validated (used); every piece of bookkeeping is
 * in private typed arrays. Nothing on the submit/complete path allocates.
 *
 * Submitting: `begin()`, then `addReadable`/`addWritable` (readable ones first), then
 * `publish(token)`; publish returns false when the ring cannot take the chain. `kick()` once per
 * batch notifies the device if it asked to be told.
 * Completing: `nextCompletion()` returns a `Completion`; after `Completion.Taken` the chain is
 * in `completedToken`/`completedLength`. Or `poll(handler)`.
 *
 * The first impossible used entry (an id that is not the head of a chain in flight, a used index
 * more entries ahead than are in flight) breaks the queue, as Linux's BAD_RING does: from then on
 * `begin`, `publish` and `kick` throw VirtioRingBrokenError, `nextCompletion` returns
 * `Completion.Broken`, and `onBroken` is called once. Only a device reset and a new queue help.
 * An oversized used length is not a break: it is clamped to the chain's writable bytes and counted.
 */
export class SplitVirtqueue<T = unknown> {
  readonly deviceName: string;
  readonly index: number;
  readonly size: number;
  readonly addresses: QueueAddresses;
  /** Longest chain `publish` accepts. */
  readonly maxChainLength: number;
  /** Used lengths beyond the chain's writable bytes, clamped. */
  lengthClamps = 0;
  /** Why the queue stopped, once it did (device fault, or torn down). */
  broken: VirtioRingBrokenError | undefined;
  /** Called once when a device fault breaks the queue (not when it is destroyed). */
  onBroken: ((error: VirtioRingBrokenError) => void) | undefined;
  /** Notifications actually sent by `kick()`. */
  notifications = 0;
  completedToken: T | undefined;
  completedLength = 0;

  private readonly mask: number;
  private readonly eventIdx: boolean;
  private readonly region: DmaRegion;
  private readonly ring: DataView;
  private readonly availBase: number;
  private readonly usedBase: number;
  private readonly usedEventOffset: number;
  private readonly availEventOffset: number;
  private readonly indirectEntries: number;
  private readonly indirectRegion: DmaRegion | undefined;
  private readonly indirectView: DataView | undefined;

  /** Free-list links, and the links of chains in flight (chains are popped in list order). */
  private readonly next: Uint16Array;
  private readonly chainDescriptors: Uint16Array;
  private readonly chainWritable: Float64Array;
  private readonly live: Uint8Array;
  private readonly tokens: (T | undefined)[];
  private freeHead = 0;
  private free: number;
  private inFlight = 0;
  private availIdx = 0;
  private kickedIdx = 0;
  private lastUsed = 0;

  private released = false;
  private building = false;
  private buildHead = NO_HEAD;
  private buildTail = NO_HEAD;
  private buildCount = 0;
  private buildWritable = 0;
  private buildSawWritable = false;
  private buildOverflow = false;

  constructor(
    private readonly platform: Platform,
    private readonly notifier: QueueNotifier,
    options: VirtqueueOptions,
  ) {
    const { size } = options;
    if (!(size >= 1 && size <= MAX_QUEUE_SIZE && (size & (size - 1)) === 0)) {
      throw new VirtioUsageError(options.deviceName, "queue-size", `queue ${options.index}: size ${size} is not a power of two <= ${MAX_QUEUE_SIZE}`);
    }
    this.deviceName = options.deviceName;
    this.index = options.index;
    this.size = size;
    this.mask = size - 1;
    this.eventIdx = options.eventIdx;
    const layout = splitRingLayout(size, options.placement);
    this.region = platform.allocDma(layout.totalSize, { align: Math.max(options.placement.align, 4096) });
    this.ring = new DataView(this.region.buffer);
    this.availBase = layout.avail;
    this.usedBase = layout.used;
    this.usedEventOffset = layout.usedEvent;
    this.availEventOffset = layout.availEvent;
    this.addresses = {
      descriptorArea: this.region.physical + layout.desc,
      driverArea: this.region.physical + layout.avail,
      deviceArea: this.region.physical + layout.used,
    };
    // A chain, indirect table included, must not be longer than the queue size (spec 2.7.5.3.1).
    this.indirectEntries = Math.min(options.indirectEntries, size);
    if (this.indirectEntries > 1) {
      this.indirectRegion = platform.allocDma(size * this.indirectEntries * Desc.Size);
      this.indirectView = new DataView(this.indirectRegion.buffer);
      this.maxChainLength = this.indirectEntries;
    } else {
      this.maxChainLength = size;
    }
    this.next = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.next[i] = (i + 1) & this.mask;
    this.free = size;
    this.chainDescriptors = new Uint16Array(size);
    this.chainWritable = new Float64Array(size);
    this.live = new Uint8Array(size);
    this.tokens = new Array<T | undefined>(size).fill(undefined);
  }

  /** Free descriptors; with indirect tables every chain needs exactly one. */
  get freeCount(): number {
    return this.free;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  begin(): void {
    if (this.broken !== undefined) throw this.broken;
    if (this.building) this.abort();
    this.building = true;
    this.buildHead = this.free > 0 ? this.freeHead : NO_HEAD;
    this.buildTail = NO_HEAD;
    this.buildCount = 0;
    this.buildWritable = 0;
    this.buildSawWritable = false;
    this.buildOverflow = this.buildHead === NO_HEAD;
  }

  /** A buffer the device reads (driver -> device). */
  addReadable(physical: number, length: number): void {
    if (this.buildSawWritable) {
      this.abort();
      throw new VirtioUsageError(this.deviceName, "chain-order", `queue ${this.index}: readable buffer after a writable one`);
    }
    this.add(physical, length, 0);
  }

  /** A buffer the device writes (device -> driver). */
  addWritable(physical: number, length: number): void {
    this.buildSawWritable = true;
    this.buildWritable += length;
    this.add(physical, length, DescFlag.Write);
  }

  /** Drops the chain being built, giving its descriptors back. */
  abort(): void {
    if (this.building && this.indirectView === undefined && this.buildCount > 0) {
      this.freeHead = this.buildHead;
      this.free += this.buildCount;
    }
    this.building = false;
  }

  /**
   * Makes the chain available to the device under `token`. Returns false, leaving the ring
   * untouched, when the chain is empty or did not fit (ring full or chain too long).
   */
  publish(token: T): boolean {
    if (this.broken !== undefined) throw this.broken;
    if (!this.building || this.buildOverflow || this.buildCount === 0) {
      this.abort();
      return false;
    }
    this.building = false;
    const head = this.buildHead;
    if (this.indirectView !== undefined) this.finishIndirect(head);
    else this.chainDescriptors[head] = this.buildCount;
    this.chainWritable[head] = this.buildWritable;
    this.live[head] = 1;
    this.tokens[head] = token;
    this.ring.setUint16(this.availBase + RING_HEADER_SIZE + 2 * (this.availIdx & this.mask), head, true);
    this.platform.barrier();
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.ring.setUint16(this.availBase + AVAIL_IDX, this.availIdx, true);
    this.inFlight++;
    return true;
  }

  /** Notifies the device of everything published since the last kick, if it wants to know. */
  kick(): boolean {
    if (this.broken !== undefined) throw this.broken;
    if (this.availIdx === this.kickedIdx) return false;
    this.platform.barrier();
    const oldIdx = this.kickedIdx;
    this.kickedIdx = this.availIdx;
    const wanted = this.eventIdx
      ? vringNeedEvent(this.ring.getUint16(this.availEventOffset, true), this.availIdx, oldIdx)
      : (this.ring.getUint16(this.usedBase + USED_FLAGS, true) & USED_NO_NOTIFY) === 0;
    if (wanted) {
      this.notifications++;
      this.notifier.notify(this.index);
    }
    return wanted;
  }

  /** Whether the device has returned buffers that were not taken yet. */
  hasCompletions(): boolean {
    if (this.broken !== undefined) return false;
    return this.ring.getUint16(this.usedBase + USED_IDX, true) !== this.lastUsed;
  }

  /**
   * Takes the next used entry into `completedToken`/`completedLength` (`Completion.Taken`);
   * `Completion.None` when there is nothing more, `Completion.Broken` once the queue is broken.
   */
  nextCompletion(): Completion {
    if (this.broken !== undefined) return Completion.Broken;
    const usedIdx = this.ring.getUint16(this.usedBase + USED_IDX, true);
    if (usedIdx === this.lastUsed) return Completion.None;
    this.platform.barrier();
    if (((usedIdx - this.lastUsed) & 0xffff) > this.inFlight) {
      return this.breakRing("used-idx", `used idx ${usedIdx} is more than ${this.inFlight} past ${this.lastUsed}`);
    }
    const elem = this.usedBase + RING_HEADER_SIZE + USED_ELEM_SIZE * (this.lastUsed & this.mask);
    const id = this.ring.getUint32(elem, true);
    let length = this.ring.getUint32(elem + USED_ELEM_LEN, true);
    if (id >= this.size || this.live[id] === 0) return this.breakRing("used-id", `used id ${id} is not the head of a chain in flight`);
    this.lastUsed = (this.lastUsed + 1) & 0xffff;
    if (length > this.chainWritable[id]) {
      this.lengthClamps++;
      length = this.chainWritable[id];
    }
    this.completedToken = this.tokens[id];
    this.completedLength = length;
    this.release(id);
    return Completion.Taken;
  }

  /** Hands up to `limit` completions to `handler`; returns how many. */
  poll(handler: CompletionHandler<T>, limit = Number.POSITIVE_INFINITY): number {
    let count = 0;
    while (count < limit && this.nextCompletion() === Completion.Taken) {
      handler(this.completedToken as T, this.completedLength);
      count++;
    }
    return count;
  }

  /** Asks the device not to interrupt (best effort: with EVENT_IDX at most one more may come). */
  disableInterrupts(): void {
    if (this.broken === undefined && !this.eventIdx) this.ring.setUint16(this.availBase + AVAIL_FLAGS, AVAIL_NO_INTERRUPT, true);
  }

  /**
   * Asks for an interrupt on the next completion. Returns true if completions are already
   * waiting, in which case the caller should poll rather than wait.
   */
  enableInterrupts(): boolean {
    if (this.broken !== undefined) return false;
    if (this.eventIdx) this.ring.setUint16(this.usedEventOffset, this.lastUsed, true);
    else this.ring.setUint16(this.availBase + AVAIL_FLAGS, 0, true);
    this.platform.barrier();
    return this.hasCompletions();
  }

  /**
   * Takes completions with `consume` (which returns how many it took) while the device is asked
   * not to interrupt, then re-enables interrupts without losing any: a completion that lands after
   * consume's last look but before the re-enable raised no interrupt, so the used index is checked
   * again after the re-enable and the loop goes round. Returns the total taken. A consumer that
   * stops early (back-pressure) must call drain again once it can take more.
   */
  drain(consume: () => number): number {
    let total = 0;
    for (;;) {
      this.disableInterrupts();
      const taken = consume();
      total += taken;
      if (!this.enableInterrupts() || taken === 0) return total;
    }
  }

  /** Stops the queue for good (it is broken from then on) without freeing its memory. */
  retire(): void {
    this.broken ??= new VirtioRingBrokenError(this.deviceName, RELEASED, `queue ${this.index} was torn down`);
    this.building = false;
  }

  /** Frees the DMA memory (the device must have been reset first); the queue is broken from then on. */
  destroy(): void {
    if (this.released) return;
    this.retire();
    this.released = true;
    this.platform.freeDma(this.region);
    if (this.indirectRegion !== undefined) this.platform.freeDma(this.indirectRegion);
  }

  private add(physical: number, length: number, flags: number): void {
    if (!this.building) throw new VirtioUsageError(this.deviceName, "chain-state", `queue ${this.index}: add without begin`);
    if (this.buildOverflow) return;
    if (this.indirectView !== undefined) {
      if (this.buildCount === this.indirectEntries) {
        this.buildOverflow = true;
        return;
      }
      const entry = this.indirectTable(this.buildHead) + this.buildCount * Desc.Size;
      writeDescriptor(this.indirectView, entry, physical, length, flags, 0);
      if (this.buildCount > 0) linkDescriptor(this.indirectView, entry - Desc.Size, this.buildCount);
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
    writeDescriptor(this.ring, d * Desc.Size, physical, length, flags, 0);
    if (this.buildTail !== NO_HEAD) linkDescriptor(this.ring, this.buildTail * Desc.Size, d);
    this.buildTail = d;
    this.buildCount++;
  }

  /** One direct descriptor: the single entry itself, or a pointer to the head's table. */
  private finishIndirect(head: number): void {
    const view = this.indirectView as DataView;
    const table = this.indirectTable(head);
    if (this.buildCount === 1) {
      const low = view.getUint32(table + Desc.Addr, true);
      const high = view.getUint32(table + Desc.Addr + 4, true);
      const flags = view.getUint16(table + Desc.Flags, true);
      writeDescriptor(this.ring, head * Desc.Size, high * TWO_POW_32 + low, view.getUint32(table + Desc.Len, true), flags, 0);
    } else {
      const physical = (this.indirectRegion as DmaRegion).physical + table;
      writeDescriptor(this.ring, head * Desc.Size, physical, this.buildCount * Desc.Size, DescFlag.Indirect, 0);
    }
    this.freeHead = this.next[head];
    this.free--;
    this.chainDescriptors[head] = 1;
  }

  private indirectTable(head: number): number {
    return head * this.indirectEntries * Desc.Size;
  }

  private release(head: number): void {
    let tail = head;
    for (let i = this.chainDescriptors[head]; i > 1; i--) tail = this.next[tail];
    this.next[tail] = this.freeHead;
    this.freeHead = head;
    this.free += this.chainDescriptors[head];
    this.live[head] = 0;
    this.tokens[head] = undefined;
    this.inFlight--;
  }

  private breakRing(code: string, detail: string): Completion {
    this.broken = new VirtioRingBrokenError(this.deviceName, code, `queue ${this.index}: ${detail}`);
    this.building = false;
    this.onBroken?.(this.broken);
    return Completion.Broken;
  }
}

function writeDescriptor(view: DataView, at: number, physical: number, length: number, flags: number, next: number): void {
  view.setUint32(at + Desc.Addr, physical >>> 0, true);
  view.setUint32(at + Desc.Addr + 4, Math.floor(physical / TWO_POW_32), true);
  view.setUint32(at + Desc.Len, length, true);
  view.setUint16(at + Desc.Flags, flags, true);
  view.setUint16(at + Desc.Next, next, true);
}

function linkDescriptor(view: DataView, at: number, next: number): void {
  view.setUint16(at + Desc.Flags, view.getUint16(at + Desc.Flags, true) | DescFlag.Next, true);
  view.setUint16(at + Desc.Next, next, true);
}
