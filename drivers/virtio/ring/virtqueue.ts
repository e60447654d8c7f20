import { VirtioRingBrokenError } from "../errors";
import type { QueueAddresses, Transport } from "../transport/transport";

export type QueueNotifier = Pick<Transport, "notify">;

/** The two virtqueue layouts (virtio 1.2 sections 2.7 and 2.8); chosen once, at negotiation. */
export type RingLayoutKind = "split" | "packed";

export interface VirtqueueOptions {
  /** Device name for errors. */
  readonly deviceName: string;
  readonly index: number;
  /** 1..32768 (a power of two for split rings). */
  readonly size: number;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  readonly eventIdx: boolean;
  /** VIRTIO_F_IN_ORDER negotiated: the device uses buffers in the order they were made available. */
  readonly inOrder: boolean;
  /** Entries per preallocated indirect table; 0 when INDIRECT_DESC is not used. */
  readonly indirectEntries: number;
}

export type CompletionHandler<T> = (token: T, length: number) => void;

/**
 * What `nextCompletion` found. An enum rather than a constant object: the bundler writes its
 * values in place, where the guest's interpreter would otherwise look a property up on each use.
 */
export enum Completion {
  /** Nothing (more) returned by the device. */
  None = 0,
  /** One chain came back: `completedToken` and `completedLength` describe it. */
  Taken = 1,
  /** The queue is broken (see `broken`); nothing more will come from it. */
  Broken = 2,
}

/**
 * A virtqueue, driver side, whatever its layout. Drivers know only this.
 *
 * Submitting: `begin()`, then `addReadable`/`addWritable` (readable ones first), then
 * `publish(token)`; publish returns false when the ring cannot take the chain. `kick()` once per
 * batch notifies the device if it asked to be told.
 * Completing: `nextCompletion()` returns a `Completion`; after `Completion.Taken` the chain is
 * in `completedToken`/`completedLength`. Or `poll(handler)`.
 *
 * The first impossible entry from the device breaks the queue, as Linux's BAD_RING does: from then
 * on `begin`, `publish` and `kick` throw VirtioRingBrokenError, `nextCompletion` returns
 * `Completion.Broken`, and `onBroken` is called once. Only a device reset and a new queue help.
 * An oversized used length is not a break: it is clamped to the chain's writable bytes and counted.
 */
export interface Virtqueue<T = unknown> {
  readonly deviceName: string;
  readonly index: number;
  readonly size: number;
  /** The three areas handed to the transport. */
  readonly addresses: QueueAddresses;
  /** Longest chain `publish` accepts. */
  readonly maxChainLength: number;
  /** Room for more: free descriptors (split) or descriptor slots (packed); an indirect chain needs one. */
  readonly freeCount: number;
  readonly inFlightCount: number;
  /** Used lengths beyond the chain's writable bytes, clamped. */
  readonly lengthClamps: number;
  /** Notifications actually sent by `kick()`. */
  readonly notifications: number;
  /** Why the queue stopped, once it did (device fault, or torn down). */
  readonly broken: VirtioRingBrokenError | undefined;
  /** Called once when a device fault breaks the queue (not when it is destroyed). */
  onBroken: ((error: VirtioRingBrokenError) => void) | undefined;
  readonly completedToken: T | undefined;
  readonly completedLength: number;

  begin(): void;
  /** A buffer the device reads (driver -> device). */
  addReadable(physical: number, length: number): void;
  /** A buffer the device writes (device -> driver). */
  addWritable(physical: number, length: number): void;
  /** Drops the chain being built. */
  abort(): void;
  /** Makes the chain available under `token`; false, ring untouched, when it is empty or does not fit. */
  publish(token: T): boolean;
  /** Notifies the device of everything published since the last kick, if it wants to know. */
  kick(): boolean;
  /** Whether the device has returned buffers that were not taken yet. */
  hasCompletions(): boolean;
  nextCompletion(): Completion;
  /** Hands up to `limit` completions to `handler`; returns how many. */
  poll(handler: CompletionHandler<T>, limit?: number): number;
  /** Asks the device not to interrupt (best effort). */
  disableInterrupts(): void;
  /** Asks for an interrupt on the next completion; true if completions are already waiting. */
  enableInterrupts(): boolean;
  /** Takes completions with `consume` with interrupts off, then re-enables them without losing any. */
  drain(consume: () => number): number;
  /**
   * Breaks the queue on the device's own word (it set DEVICE_NEEDS_RESET) as an impossible used
   * entry would: `broken` set, `onBroken` told once. Nothing if it is already broken.
   */
  markBroken(code: string, detail: string): void;
  /** Stops the queue for good (it is broken from then on) without freeing its memory. */
  retire(): void;
  /** Frees the DMA memory (the device must have been reset first). */
  destroy(): void;
}

/** `broken.code` of a queue that was destroyed rather than broken by the device. */
const RELEASED = "queue-released";

/** Where the chain being built stands; one field, so the hot path asks one question. */
export enum ChainState {
  /** No chain being built: `begin` may start one. */
  Idle = 0,
  /** Between `begin` and `publish`/`abort`. */
  Building = 1,
  /** The queue is broken or torn down: nothing more is built. */
  Stopped = 2,
}

/** `chainWritable` of a buffer that is not in flight. */
const NOT_IN_FLIGHT = -1;

/**
 * What both layouts share: per-buffer bookkeeping (token, writable bytes, in flight), checking and
 * taking used entries one buffer at a time (with VIRTIO_F_IN_ORDER one used entry may stand for a
 * batch), the race-free re-enable, and breaking. A buffer is named by an id in 0..size-1: the head
 * descriptor of a split chain, the buffer id of a packed one.
 *
 * Each layout's `nextCompletion` reads its own used entry and hands it to `complete`, then gives
 * the buffer's descriptors back itself: two calls per completion, as few as the guest's
 * interpreter (which inlines nothing) can be given without writing the checks twice.
 */
export abstract class VirtqueueBase<T> implements Virtqueue<T> {
  readonly deviceName: string;
  readonly index: number;
  readonly size: number;
  abstract readonly addresses: QueueAddresses;
  abstract readonly maxChainLength: number;
  lengthClamps = 0;
  notifications = 0;
  broken: VirtioRingBrokenError | undefined;
  onBroken: ((error: VirtioRingBrokenError) => void) | undefined;
  completedToken: T | undefined;
  completedLength = 0;

  protected readonly eventIdx: boolean;
  protected readonly inOrder: boolean;
  protected chain: ChainState = ChainState.Idle;
  /**
   * Writable bytes of each buffer in flight; NOT_IN_FLIGHT for the others. A layout's `publish`
   * fills it, `tokens` and `inFlight` in its own body (and calls `recordOrder` in order): the
   * guest's interpreter inlines nothing, and a call there cost more than the three writes.
   */
  protected readonly chainWritable: Float64Array;
  /** Buffers made available and not yet completed (read directly by the layouts' hot paths). */
  protected inFlight = 0;
  /** In order: buffers still to be completed from the current used entry. */
  protected batchRemaining = 0;

  /** Token of each buffer in flight. */
  protected readonly tokens: (T | undefined)[];
  /** In order only: ids in the order they were made available (a ring of `size`), and their sequence numbers. */
  private readonly order: Uint16Array;
  private readonly sequence: Uint32Array;
  private orderHead = 0;
  private orderTail = 0;
  private published = 0;
  /** In order: the id the current used entry named, and its length. */
  private batchLastId = 0;
  private batchLength = 0;

  constructor(options: VirtqueueOptions) {
    this.deviceName = options.deviceName;
    this.index = options.index;
    this.size = options.size;
    this.eventIdx = options.eventIdx;
    this.inOrder = options.inOrder;
    this.chainWritable = new Float64Array(options.size).fill(NOT_IN_FLIGHT);
    this.tokens = new Array<T | undefined>(options.size).fill(undefined);
    this.order = new Uint16Array(options.inOrder ? options.size : 0);
    this.sequence = new Uint32Array(options.inOrder ? options.size : 0);
  }

  abstract get freeCount(): number;
  abstract begin(): void;
  abstract addReadable(physical: number, length: number): void;
  abstract addWritable(physical: number, length: number): void;
  abstract abort(): void;
  abstract publish(token: T): boolean;
  abstract kick(): boolean;
  abstract nextCompletion(): Completion;
  abstract disableInterrupts(): void;
  abstract enableInterrupts(): boolean;
  abstract destroy(): void;

  /** Whether an unread used entry is waiting. */
  protected abstract usedWaiting(): boolean;
  /**
   * Called once the queue stops: leaves `kick`'s count of what is waiting to be notified at a
   * value no real count takes, so the one test kick makes first also leads it to the refusal.
   */
  protected abstract stopKicks(): void;
  /** How many buffers the used entry just read may stand for (in order). */
  protected abstract usedSpan(): number;

  get inFlightCount(): number {
    return this.inFlight;
  }

  hasCompletions(): boolean {
    if (this.broken !== undefined) return false;
    return this.batchRemaining > 0 || this.usedWaiting();
  }

  poll(handler: CompletionHandler<T>, limit = Number.POSITIVE_INFINITY): number {
    let count = 0;
    while (count < limit && this.nextCompletion() === Completion.Taken) {
      handler(this.completedToken as T, this.completedLength);
      count++;
    }
    return count;
  }

  /**
   * Takes completions with `consume` (which returns how many it took) while the device is asked
   * not to interrupt, then re-enables interrupts without losing any: a completion that lands after
   * consume's last look but before the re-enable raised no interrupt, so the ring is checked
   * again after the re-enable and the loop goes round. That holds for a pass that found nothing
   * too (a wake for buffers an earlier pass already took). A pass that takes nothing although the
   * last re-enable had seen buffers waiting is the consumer refusing them (back-pressure): the
   * drain ends there, interrupts on. Returns the total taken. A consumer that stops early must
   * call drain again once it can take more.
   */
  drain(consume: () => number): number {
    let total = 0;
    let sawWaiting = false;
    for (;;) {
      this.disableInterrupts();
      const taken = consume();
      total += taken;
      if (!this.enableInterrupts() || (taken === 0 && sawWaiting)) return total;
      sawWaiting = true;
    }
  }

  markBroken(code: string, detail: string): void {
    if (this.broken === undefined) this.breakRing(code, detail);
  }

  retire(): void {
    this.broken ??= new VirtioRingBrokenError(this.deviceName, RELEASED, `queue ${this.index} was torn down`);
    this.chain = ChainState.Stopped;
    this.stopKicks();
  }

  /** In order: records that buffer `id` was made available after every buffer before it. */
  protected recordOrder(id: number): void {
    this.order[this.orderTail] = id;
    this.orderTail = this.orderTail + 1 === this.size ? 0 : this.orderTail + 1;
    this.sequence[id] = this.published;
    this.published = (this.published + 1) >>> 0;
  }

  /**
   * Completes the next buffer into `completedToken`/`completedLength`. With no in-order batch
   * under way, `usedId`/`usedLength` are the used entry the layout just read, as the device wrote
   * them, and are checked here; during a batch (`batchRemaining` > 0) the layout reads nothing and
   * they are ignored. Returns the id of the buffer whose descriptors the layout now gives back, or
   * -1 when the entry broke the queue.
   */
  protected complete(usedId: number, usedLength: number): number {
    let id = usedId;
    if (this.batchRemaining === 0) {
      // An id beyond the ring reads as undefined: not in flight either.
      if (!(this.chainWritable[usedId] >= 0)) {
        this.breakRing("used-id", `used id ${usedId} is not a buffer in flight`);
        return -1;
      }
      this.completedLength = usedLength;
      if (this.inOrder) id = this.startBatch(usedId, usedLength);
    } else {
      id = this.nextOfBatch();
    }
    if (id < 0) return -1;
    // The length stays in its field: a double passed to a call that is not inlined may be boxed.
    const writable = this.chainWritable[id];
    if (this.completedLength > writable) {
      this.lengthClamps++;
      this.completedLength = writable;
    }
    this.completedToken = this.tokens[id];
    this.chainWritable[id] = NOT_IN_FLIGHT;
    this.tokens[id] = undefined;
    this.inFlight--;
    return id;
  }

  protected breakRing(code: string, detail: string): Completion {
    this.broken = new VirtioRingBrokenError(this.deviceName, code, `queue ${this.index}: ${detail}`);
    this.chain = ChainState.Stopped;
    this.stopKicks();
    this.onBroken?.(this.broken);
    return Completion.Broken;
  }

  /** In order: the used entry naming `last` stands for every buffer up to it; -1 when that is more than the device returned. */
  private startBatch(last: number, length: number): number {
    const span = ((this.sequence[last] - this.sequence[this.order[this.orderHead]]) >>> 0) + 1;
    if (span > this.usedSpan()) {
      this.breakRing("used-batch", `used id ${last} stands for ${span} buffers, more than the ${this.usedSpan()} returned`);
      return -1;
    }
    this.batchLastId = last;
    this.batchLength = length;
    this.batchRemaining = span;
    return this.nextOfBatch();
  }

  /** In order: the next buffer of the current batch, with its length. */
  private nextOfBatch(): number {
    const id = this.order[this.orderHead];
    this.orderHead = this.orderHead + 1 === this.size ? 0 : this.orderHead + 1;
    this.batchRemaining--;
    // Buffers skipped by an in-order batch were used completely (virtio 1.2 sections 2.7.10, 2.8.21).
    this.completedLength = id === this.batchLastId ? this.batchLength : this.chainWritable[id];
    return id;
  }
}
