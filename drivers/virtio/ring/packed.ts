import { IndirectTables } from "./indirect-tables";
import { LeWords, loadU64, storeU64 } from "../le-words";
import type { DmaRegion, Platform } from "../../../kernel/platform";
import { VirtioUsageError } from "../errors";
import { vringNeedEvent } from "./event-idx";
import {
  DESC_EVENT_FLAGS_MASK,
  DESC_EVENT_OFF_MASK,
  DESC_EVENT_WRAP_SHIFT,
  EventSuppress,
  MAX_PACKED_QUEUE_SIZE,
  PackedDesc,
  PackedDescFlag,
  RingEventFlags,
} from "./packed-format";
import { packedRingLayout } from "./packed-layout";
import { ChainState, Completion, VirtqueueBase, type QueueNotifier, type VirtqueueOptions } from "./virtqueue";
import type { QueueAddresses } from "../transport/transport";

const NO_ID = -1;
/** Position of the wrap counter's bit when a position and its wrap share one le16. */
const WRAP_BIT = 1 << DESC_EVENT_WRAP_SHIFT;
const AVAIL_AND_USED = PackedDescFlag.Avail | PackedDescFlag.Used;
/**
 * By wrap counter (0, 1): AVAIL and USED of a used descriptor (both equal to the counter), and of
 * one the driver makes available (AVAIL the counter, USED its inverse). Tables rather than
 * helpers: the hot path reads them without a call.
 */
const USED_MARK = [0, AVAIL_AND_USED] as const;
const AVAIL_MARK = [PackedDescFlag.Used, PackedDescFlag.Avail] as const;

/**
 * A packed virtqueue (virtio 1.2 section 2.8), driver side. One descriptor ring in DMA memory, read
 * and written by both sides, and two event suppression structures: the driver's (driver area: may
 * the device interrupt?) and the device's (device area: should the driver notify?).
 *
 * The driver makes descriptors available at `nextAvail` with AVAIL = its wrap counter and USED =
 * its inverse; the device returns one used descriptor per buffer (AVAIL = USED = its wrap counter)
 * at `nextUsed`, then skips as many slots as the buffer's chain took. Buffers are named by ids from
 * a free list, separate from ring slots; each id remembers its chain's slots and writable bytes.
 * A chain's descriptors are written first, then the flags of all but its head, then (after a
 * barrier) the head's flags, so the device never sees half a chain and an aborted one leaves no trace. Nothing on the submit/complete path allocates.
 *
 * Validated: the used buffer id (in range, in flight), the length (clamped to the writable bytes,
 * counted), and that nothing is returned while nothing is in flight. With VIRTIO_F_IN_ORDER one
 * used descriptor stands for every buffer made available up to and including its id.
 */
export class PackedVirtqueue<T = unknown> extends VirtqueueBase<T> {
  readonly addresses: QueueAddresses;
  readonly maxChainLength: number;

  private readonly region: DmaRegion;
  /** The ring's memory as 16- and 32-bit words; the indices below are 16-bit word indices. */
  private readonly ring16: Uint16Array;
  private readonly ring32: Uint32Array;
  private readonly driverEventFlags16: number;
  private readonly driverEventDesc16: number;
  private readonly deviceEventFlags16: number;
  private readonly deviceEventDesc16: number;
  private readonly indirect: IndirectTables | undefined;

  /** Free buffer ids (a stack) and, per id in flight, the ring slots its chain took. */
  private readonly freeIds: Uint16Array;
  private freeIdCount: number;
  private readonly chainSlots: Uint16Array;
  private freeSlots: number;
  private nextAvail = 0;
  private availWrap = 1;
  private nextUsed = 0;
  private usedWrap = 1;
  /** Slots made available since the last kick. */
  private addedSinceKick = 0;
  /** What the driver event suppression flags hold. */
  private driverEventFlags: number = RingEventFlags.Enable;

  private released = false;
  private buildId = NO_ID;
  private buildCount = 0;
  private buildWritable = 0;
  private buildSawWritable = false;
  private buildOverflow = false;
  /** The flags of the chain's descriptors (the head's first), written by publish. */
  private readonly buildFlags: Uint16Array;

  constructor(
    private readonly platform: Platform,
    private readonly notifier: QueueNotifier,
    options: VirtqueueOptions,
  ) {
    const { size } = options;
    if (!(Number.isInteger(size) && size >= 1 && size <= MAX_PACKED_QUEUE_SIZE)) {
      throw new VirtioUsageError(options.deviceName, "queue-size", `queue ${options.index}: size ${size} is not in 1..${MAX_PACKED_QUEUE_SIZE}`);
    }
    super(options);
    const layout = packedRingLayout(size);
    // Page-aligned (the platform's default): more than the 16 bytes descriptors need.
    this.region = platform.allocDma(layout.totalSize);
    const words = new LeWords(this.region.buffer);
    this.ring16 = words.u16;
    this.ring32 = words.u32;
    this.driverEventFlags16 = (layout.driverEvent + EventSuppress.Flags) >>> 1;
    this.driverEventDesc16 = (layout.driverEvent + EventSuppress.Desc) >>> 1;
    this.deviceEventFlags16 = (layout.deviceEvent + EventSuppress.Flags) >>> 1;
    this.deviceEventDesc16 = (layout.deviceEvent + EventSuppress.Desc) >>> 1;
    this.addresses = {
      descriptorArea: this.region.physical + layout.desc,
      driverArea: this.region.physical + layout.driverEvent,
      deviceArea: this.region.physical + layout.deviceEvent,
    };
    this.indirect = IndirectTables.create(platform, size, options.indirectEntries, PackedDesc.Size);
    this.maxChainLength = this.indirect?.entries ?? size;
    this.freeIds = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.freeIds[i] = size - 1 - i;
    this.freeIdCount = size;
    this.chainSlots = new Uint16Array(size);
    this.freeSlots = size;
    this.buildFlags = new Uint16Array(size);
  }

  /** Free descriptor slots; with indirect tables every chain needs exactly one. */
  get freeCount(): number {
    return this.freeSlots;
  }

  begin(): void {
    if (this.broken !== undefined) throw this.broken;
    this.chain = ChainState.Building;
    this.buildId = this.freeIdCount > 0 ? this.freeIds[this.freeIdCount - 1] : NO_ID;
    this.buildCount = 0;
    this.buildWritable = 0;
    this.buildSawWritable = false;
    // Every buffer in flight holds at least one slot, so a free slot means a free id as well.
    this.buildOverflow = this.freeSlots === 0;
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
    this.add(physical, length, PackedDescFlag.Write);
  }

  /** Drops the chain being built: nothing was handed over (no flags written) and its id never taken. */
  abort(): void {
    if (this.chain === ChainState.Building) this.chain = ChainState.Idle;
  }

  publish(token: T): boolean {
    if (this.chain !== ChainState.Building || this.buildOverflow || this.buildCount === 0) {
      if (this.broken !== undefined) throw this.broken;
      this.abort();
      return false;
    }
    this.chain = ChainState.Idle;
    const slots = this.indirect !== undefined ? this.finishIndirect(this.indirect) : this.buildCount;
    const id = this.freeIds[--this.freeIdCount];
    this.chainSlots[id] = slots;
    this.chainWritable[id] = this.buildWritable;
    this.tokens[id] = token;
    this.inFlight++;
    if (this.inOrder) this.recordOrder(id);
    const ring16 = this.ring16;
    let slot = this.nextAvail;
    for (let i = 1; i < slots; i++) {
      slot = slot + 1 === this.size ? 0 : slot + 1;
      ring16[(slot * PackedDesc.Size + PackedDesc.Flags) >>> 1] = this.buildFlags[i];
    }
    this.platform.barrier();
    ring16[(this.nextAvail * PackedDesc.Size + PackedDesc.Flags) >>> 1] = this.buildFlags[0];
    this.nextAvail += slots;
    if (this.nextAvail >= this.size) {
      this.nextAvail -= this.size;
      this.availWrap ^= 1;
    }
    this.freeSlots -= slots;
    this.addedSinceKick += slots;
    return true;
  }

  /**
   * Reads the device event suppression: DISABLE means no notification, ENABLE one per kick, DESC
   * (EVENT_IDX) one when the slot it names at its wrap was made available since the last kick.
   */
  kick(): boolean {
    const added = this.addedSinceKick;
    if (added === 0) return false;
    if (this.broken !== undefined) throw this.broken;
    this.addedSinceKick = 0;
    this.platform.barrier();
    const flags = this.ring16[this.deviceEventFlags16] & DESC_EVENT_FLAGS_MASK;
    let wanted: boolean;
    // Up to a whole lap since the last kick, the named slot and wrap tell whether it was passed;
    // more than a lap passed every slot, the named one included.
    if (flags === RingEventFlags.Desc && this.eventIdx && added <= this.size) {
      // Positions counted from the start of the current lap; the previous lap is negative.
      const offWrap = this.ring16[this.deviceEventDesc16];
      let event = offWrap & DESC_EVENT_OFF_MASK;
      if (offWrap >>> DESC_EVENT_WRAP_SHIFT !== this.availWrap) event -= this.size;
      wanted = vringNeedEvent(event & 0xffff, this.nextAvail, (this.nextAvail - added) & 0xffff);
    } else {
      wanted = flags !== RingEventFlags.Disable;
    }
    if (wanted) {
      this.notifications++;
      this.notifier.notify(this.index);
    }
    return wanted;
  }

  disableInterrupts(): void {
    if (this.broken !== undefined || this.driverEventFlags === RingEventFlags.Disable) return;
    this.driverEventFlags = RingEventFlags.Disable;
    this.ring16[this.driverEventFlags16] = RingEventFlags.Disable;
  }

  /** ENABLE, or with EVENT_IDX DESC naming the next used slot and wrap; then looks again. */
  enableInterrupts(): boolean {
    if (this.broken !== undefined) return false;
    if (this.eventIdx) {
      this.ring16[this.driverEventDesc16] = this.nextUsed | (this.usedWrap === 1 ? WRAP_BIT : 0);
      this.platform.barrier();
      this.driverEventFlags = RingEventFlags.Desc;
    } else {
      this.driverEventFlags = RingEventFlags.Enable;
    }
    this.ring16[this.driverEventFlags16] = this.driverEventFlags;
    this.platform.barrier();
    return this.hasCompletions();
  }

  destroy(): void {
    if (this.released) return;
    this.retire();
    this.released = true;
    this.platform.freeDma(this.region);
    this.indirect?.free(this.platform);
  }

  /** No count of slots added is -1: kick always goes on to the broken check. */
  protected stopKicks(): void {
    this.addedSinceKick = -1;
  }

  protected usedWaiting(): boolean {
    return (this.ring16[(this.nextUsed * PackedDesc.Size + PackedDesc.Flags) >>> 1] & AVAIL_AND_USED) === USED_MARK[this.usedWrap];
  }

  nextCompletion(): Completion {
    if (this.broken !== undefined) return Completion.Broken;
    let usedId = 0;
    let usedLength = 0;
    if (this.batchRemaining === 0) {
      const at = this.nextUsed * PackedDesc.Size;
      const ring16 = this.ring16;
      if ((ring16[(at + PackedDesc.Flags) >>> 1] & AVAIL_AND_USED) !== USED_MARK[this.usedWrap]) return Completion.None;
      this.platform.barrier();
      if (this.inFlight === 0) return this.breakRing("used-ahead", `used descriptor at ${this.nextUsed} with nothing in flight`);
      usedId = ring16[(at + PackedDesc.Id) >>> 1];
      usedLength = this.ring32[(at + PackedDesc.Len) >>> 2];
    }
    const id = this.complete(usedId, usedLength);
    if (id < 0) return Completion.Broken;
    const slots = this.chainSlots[id];
    this.nextUsed += slots;
    if (this.nextUsed >= this.size) {
      this.nextUsed -= this.size;
      this.usedWrap ^= 1;
    }
    this.freeSlots += slots;
    this.freeIds[this.freeIdCount++] = id;
    return Completion.Taken;
  }

  /** An in-order used descriptor may stand for every buffer in flight. */
  protected usedSpan(): number {
    return this.inFlight;
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
      // Only WRITE is valid in an indirect table; entries follow each other without NEXT.
      const entry = indirect.offset(this.buildId) + this.buildCount * PackedDesc.Size;
      const u16 = indirect.u16;
      writeDescriptor(indirect.u32, u16, entry, physical, length, 0);
      u16[(entry + PackedDesc.Flags) >>> 1] = flags;
      this.buildCount++;
      return;
    }
    if (this.buildCount === this.freeSlots) {
      this.buildOverflow = true;
      return;
    }
    let slot = this.nextAvail + this.buildCount;
    let wrap = this.availWrap;
    if (slot >= this.size) {
      slot -= this.size;
      wrap ^= 1;
    }
    writeDescriptor(this.ring32, this.ring16, slot * PackedDesc.Size, physical, length, this.buildId);
    // Flags are kept aside until publish: they hand the slots over, the head's last of all.
    if (this.buildCount > 0) this.buildFlags[this.buildCount - 1] |= PackedDescFlag.Next;
    this.buildFlags[this.buildCount] = flags | AVAIL_MARK[wrap];
    this.buildCount++;
  }

  /** Writes the one ring descriptor (all but its flags): the single entry itself, or the table. Returns 1 slot. */
  private finishIndirect(indirect: IndirectTables): number {
    const { u16, u32 } = indirect;
    const table = indirect.offset(this.buildId);
    const at = this.nextAvail * PackedDesc.Size;
    const lap = AVAIL_MARK[this.availWrap];
    if (this.buildCount === 1) {
      const physical = loadU64(u32, (table + PackedDesc.Addr) >>> 2);
      writeDescriptor(this.ring32, this.ring16, at, physical, u32[(table + PackedDesc.Len) >>> 2], this.buildId);
      this.buildFlags[0] = u16[(table + PackedDesc.Flags) >>> 1] | lap;
    } else {
      writeDescriptor(this.ring32, this.ring16, at, indirect.physical(this.buildId), this.buildCount * PackedDesc.Size, this.buildId);
      this.buildFlags[0] = PackedDescFlag.Indirect | lap;
    }
    return 1;
  }
}

/** Everything but the flags, which say who owns the slot and are written separately. */
function writeDescriptor(u32: Uint32Array, u16: Uint16Array, at: number, physical: number, length: number, id: number): void {
  storeU64(u32, (at + PackedDesc.Addr) >>> 2, physical);
  u32[(at + PackedDesc.Len) >>> 2] = length;
  u16[(at + PackedDesc.Id) >>> 1] = id;
}
