import { DmaSlab } from "../../../kernel/dma";
import type { Platform } from "../../../kernel/platform";
import type { FrameHandler, RxInfo } from "../../net-link";
import { VirtioDeviceError } from "../errors";
import { Completion, type Virtqueue } from "../ring/virtqueue";
import { ETHERNET_HEADER_LENGTH, GSO_NONE, GSO_TCPV4, MAX_GSO_PACKET, NetHeader, NetHeaderFlag, VLAN_TAG_LENGTH } from "./constants";
import type { VirtioNetCounters } from "./counters";
import type { NetLayout } from "./layout";

const VALIDATED: RxInfo = { checksumValidated: true };
const NOT_VALIDATED: RxInfo = { checksumValidated: false };
/** NEEDS_CSUM on receive means the device vouches for the data and left the sum partial. */
const CHECKSUM_TRUSTED = NetHeaderFlag.DataValid | NetHeaderFlag.NeedsCsum;

export interface ReceiverOptions {
  readonly buffers: number;
  readonly bufferSize: number;
  /** GUEST_CSUM negotiated: header flags may mark the checksum as verified. */
  readonly guestCsum: boolean;
  /** GUEST_TSO4 negotiated: the device may coalesce TCP segments into frames of up to 64 KiB. */
  readonly largeReceive: boolean;
}

/**
 * The receive queue: every buffer of a DMA slab stays posted, and each one goes back to the device
 * as soon as its frame has been handed on. A frame spread over several buffers (MRG_RXBUF) is
 * gathered into one preallocated frame buffer; a frame in one buffer is handed on in place.
 */
export class NetReceiver {
  private readonly slab: DmaSlab;
  private readonly frameViews: (Uint8Array | undefined)[];
  private readonly gathered: Uint8Array;
  private gatheredView: Uint8Array;
  private gatheredLength = 0;
  /** Buffers still to come for the frame being gathered. */
  private remaining = 0;
  private gatherInfo = NOT_VALIDATED;
  private gatherOverflow = false;
  /** The frame being gathered is a coalesced TCP segment (gso_type TCPV4). */
  private gatherSegmented = false;
  /** Largest frame gathered: the MTU's, or a coalesced segment's. */
  private gatherLimit = 0;
  /** State of the `drain` in progress, kept in fields so the drain allocates nothing. */
  private drainHandler: FrameHandler | null = null;
  private drainBudget = 0;

  constructor(
    platform: Platform,
    private readonly queue: Virtqueue<number>,
    private readonly layout: NetLayout,
    private readonly counters: VirtioNetCounters,
    private readonly options: ReceiverOptions,
  ) {
    this.slab = new DmaSlab(platform, options.buffers, options.bufferSize);
    this.frameViews = new Array<Uint8Array | undefined>(options.buffers).fill(undefined);
    this.gathered = new Uint8Array(options.largeReceive ? ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH + MAX_GSO_PACKET : layout.maxFrame);
    this.gatheredView = this.gathered;
  }

  /** Posts every buffer. */
  start(): void {
    for (let slot = 0; slot < this.slab.count; slot++) this.post(slot);
    this.queue.kick();
  }

  /** Hands up to `budget` frames to `handler`, re-posting their buffers; returns buffers consumed. */
  poll(handler: FrameHandler | null, budget: number): number {
    const queue = this.queue;
    let consumed = 0;
    while (consumed < budget && queue.nextCompletion() === Completion.Taken) {
      const slot = queue.completedToken as number;
      this.consume(slot, queue.completedLength, handler);
      this.post(slot);
      consumed++;
    }
    // The buffers re-posted before a broken entry stay unannounced: the queue takes nothing more.
    if (consumed > 0 && queue.broken === undefined) queue.kick();
    return consumed;
  }

  /**
   * Interrupt mode: takes frames with the rx interrupt suppressed, then re-arms it without losing
   * a late arrival. Returns true when it stopped on `budget` with frames still waiting (the caller
   * must come back: the interrupt for those has already been spent).
   */
  drain(handler: FrameHandler | null, budget: number): boolean {
    this.drainHandler = handler;
    this.drainBudget = budget;
    this.queue.drain(this.drainStep);
    this.drainHandler = null;
    return this.drainBudget === 0 && this.queue.hasCompletions();
  }

  private readonly drainStep = (): number => {
    const taken = this.poll(this.drainHandler, this.drainBudget);
    this.drainBudget -= taken;
    return taken;
  };

  private consume(slot: number, length: number, handler: FrameHandler | null): void {
    const bytes = this.slab.bytes(slot);
    if (this.remaining > 0) return this.gather(bytes, 0, length, handler);
    const headerSize = this.layout.headerSize;
    if (length < headerSize) {
      this.counters.rxShort++;
      return;
    }
    const buffers = this.layout.mergeable ? bytes[NetHeader.NumBuffers] | (bytes[NetHeader.NumBuffers + 1] << 8) : 1;
    if (buffers < 1 || buffers > this.slab.count) {
      this.badHeader("num-buffers", `num_buffers ${buffers} is outside 1..${this.slab.count}`);
      return;
    }
    const segmented = this.segmentedHeader(bytes);
    const gsoOk = segmented !== undefined;
    const info = this.options.guestCsum && (bytes[NetHeader.Flags] & CHECKSUM_TRUSTED) !== 0 ? VALIDATED : NOT_VALIDATED;
    if (buffers > 1) {
      this.remaining = buffers;
      this.gatheredLength = 0;
      this.gatherInfo = info;
      this.gatherOverflow = !gsoOk;
      this.gatherSegmented = segmented === true;
      this.gatherLimit = segmented === true ? this.gathered.length : this.layout.maxFrame;
      return this.gather(bytes, headerSize, length, handler);
    }
    if (!gsoOk) return;
    if (segmented) this.counters.rxSegmented++;
    this.deliver(this.slotView(slot, bytes, headerSize, length - headerSize), handler, info);
  }

  /**
   * Checks gso_type and what goes with it: true for a coalesced TCP segment (GUEST_TSO4 only, with
   * NEEDS_CSUM and a gso_size, as the device must set them), false for a plain frame, undefined
   * (reported) for anything else.
   */
  private segmentedHeader(bytes: Uint8Array): boolean | undefined {
    const gsoType = bytes[NetHeader.GsoType];
    if (gsoType === GSO_NONE) return false;
    if (gsoType !== GSO_TCPV4 || !this.options.largeReceive) {
      this.badHeader("gso-type", `gso_type ${gsoType} was not negotiated`);
      return undefined;
    }
    const gsoSize = bytes[NetHeader.GsoSize] | (bytes[NetHeader.GsoSize + 1] << 8);
    if ((bytes[NetHeader.Flags] & NetHeaderFlag.NeedsCsum) === 0 || gsoSize === 0) {
      this.badHeader("gso-header", `gso_type TCPV4 with flags ${bytes[NetHeader.Flags]} and gso_size ${gsoSize}`);
      return undefined;
    }
    return true;
  }

  private gather(bytes: Uint8Array, from: number, length: number, handler: FrameHandler | null): void {
    const count = length - from;
    if (this.gatheredLength + count > this.gatherLimit) this.gatherOverflow = true;
    else this.gathered.set(bytes.subarray(from, length), this.gatheredLength);
    this.gatheredLength += count;
    if (--this.remaining > 0) return;
    if (this.gatherOverflow) {
      this.counters.rxBadHeader++;
      return;
    }
    this.counters.rxMerged++;
    if (this.gatherSegmented) this.counters.rxSegmented++;
    if (this.gatheredView.length !== this.gatheredLength) this.gatheredView = this.gathered.subarray(0, this.gatheredLength);
    this.deliver(this.gatheredView, handler, this.gatherInfo);
  }

  private deliver(frame: Uint8Array, handler: FrameHandler | null, info: RxInfo): void {
    if (frame.length < ETHERNET_HEADER_LENGTH) {
      this.counters.rxShort++;
      return;
    }
    if (handler === null) {
      this.counters.rxNoHandler++;
      return;
    }
    this.counters.rxFrames++;
    this.counters.rxBytes += frame.length;
    handler(frame, info);
  }

  /** The frame inside a slot; views are cached per slot, so equal-sized frames allocate nothing. */
  private slotView(slot: number, bytes: Uint8Array, start: number, length: number): Uint8Array {
    let view = this.frameViews[slot];
    if (view === undefined || view.length !== length) {
      view = bytes.subarray(start, start + length);
      this.frameViews[slot] = view;
    }
    return view;
  }

  private post(slot: number): void {
    const queue = this.queue;
    const physical = this.slab.physical(slot);
    const size = this.slab.slotSize;
    queue.begin();
    if (this.layout.splitHeader) {
      const header = this.layout.headerSize;
      queue.addWritable(physical, header);
      queue.addWritable(physical + header, size - header);
    } else {
      queue.addWritable(physical, size);
    }
    queue.publish(slot);
  }

  private badHeader(code: string, detail: string): void {
    this.counters.rxBadHeader++;
    this.counters.deviceError(new VirtioDeviceError(this.queue.deviceName, code, `rx queue ${this.queue.index}: ${detail}`));
  }
}
