import { DmaSlab } from "../../../kernel/dma";
import type { Platform } from "../../../kernel/platform";
import type { ChecksumOffload } from "../../net-link";
import { Completion, type Virtqueue } from "../ring/virtqueue";
import { GSO_TCPV4, NetHeader, NetHeaderFlag } from "./constants";
import type { VirtioNetCounters } from "./counters";
import type { NetLayout } from "./layout";

export interface TransmitterOptions {
  readonly buffers: number;
  /**
   * Slots for frames beyond the MTU that the device segments (HOST_TSO4), each `segmentedFrame`
   * bytes; 0 without segmentation offload.
   */
  readonly segmentedBuffers: number;
  /** Largest frame a segmented slot holds (Ethernet header and the largest IPv4 packet). */
  readonly segmentedFrame: number;
  /** Frames published before the device is notified without waiting for `flush`. */
  readonly batch: number;
  /** The queue's interrupt is bound: it is armed while a sender waits for room, suppressed otherwise. */
  readonly interrupts: boolean;
}

const SLOT_ALIGN = 64;

/** A transmit slot's header: not yet written, all zero, the checksum request alone, or a segmentation request. */
const HeaderState = { Unknown: 0, Zero: 1, Checksum: 2, Segmented: 3 } as const;

/**
 * The transmit queue: frames are built in DMA slab slots behind their header (or copied there);
 * slots the device has finished with are reclaimed when the free ones run out. Frames up to the
 * MTU take a slot of the regular slab; with segmentation offload, larger ones (which the device
 * cuts into MSS-sized segments) take one of a few big slots. Slot numbers run over the regular
 * slots first, then the big ones, and are the chains' tokens. Publication is batched: one
 * notification per `flush` (or per full batch). The device is asked not to interrupt for sent
 * frames; only after a send found the ring full is the interrupt armed (`awaitRoom`), and
 * `roomAfterWait` tells when that sender may try again.
 */
export class NetTransmitter {
  private readonly slab: DmaSlab;
  private readonly segmentedSlab: DmaSlab | undefined;
  private readonly freeSlots: Uint16Array;
  private freeTop: number;
  private readonly freeSegmented: Uint16Array;
  private segmentedTop: number;
  /** Per slot, what its virtio-net header holds, so that an unchanged header is not rewritten. */
  private readonly headerStates: Uint8Array;
  /** Per slot, the frame view last handed out (reused while frames keep their length). */
  private readonly frames: (Uint8Array | undefined)[];
  private unkicked = 0;
  private waiting = false;

  constructor(
    platform: Platform,
    private readonly queue: Virtqueue<number>,
    private readonly layout: NetLayout,
    private readonly counters: VirtioNetCounters,
    private readonly options: TransmitterOptions,
  ) {
    const slotSize = alignSlot(layout.headerSize + layout.maxFrame);
    this.slab = new DmaSlab(platform, options.buffers, slotSize);
    this.freeSlots = new Uint16Array(options.buffers);
    for (let i = 0; i < options.buffers; i++) this.freeSlots[i] = i;
    this.freeTop = options.buffers;
    const segmented = options.segmentedBuffers;
    this.segmentedSlab = segmented > 0 ? new DmaSlab(platform, segmented, alignSlot(layout.headerSize + options.segmentedFrame)) : undefined;
    this.freeSegmented = new Uint16Array(segmented);
    for (let i = 0; i < segmented; i++) this.freeSegmented[i] = options.buffers + i;
    this.segmentedTop = segmented;
    this.headerStates = new Uint8Array(options.buffers + segmented).fill(HeaderState.Unknown);
    this.frames = new Array<Uint8Array | undefined>(options.buffers + segmented).fill(undefined);
  }

  /** Largest frame allocate() hands out: the MTU's, or with segmentation offload the big slots'. */
  get frameLimit(): number {
    return this.segmentedSlab === undefined ? this.layout.maxFrame : this.options.segmentedFrame;
  }

  /**
   * The frame area of the next free slot, `length` bytes behind its header; undefined when the
   * frame is too large or every slot of its size is in flight. The slot is taken by transmitAllocated().
   */
  allocate(length: number): Uint8Array | undefined {
    const segmented = length > this.layout.maxFrame;
    if (segmented && length > this.frameLimit) return undefined;
    // Completions are collected only once they are needed, in one batch.
    if (this.freeCount(segmented) === 0) {
      this.reclaim();
      if (this.freeCount(segmented) === 0) return undefined;
    }
    // Reclaiming may have found the ring broken: it takes nothing more.
    if (this.queue.broken !== undefined) return undefined;
    const slot = segmented ? this.freeSegmented[this.segmentedTop - 1] : this.freeSlots[this.freeTop - 1];
    const view = this.frames[slot];
    if (view !== undefined && view.length === length) return view;
    const headerSize = this.layout.headerSize;
    return (this.frames[slot] = this.bytes(slot).subarray(headerSize, headerSize + length));
  }

  /**
   * Publishes the frame from the last allocate(); false when the ring had no room for it. An
   * offload with a segment size asks the device to cut the frame (TCP over IPv4) into segments.
   */
  transmitAllocated(frame: Uint8Array, offload: ChecksumOffload | undefined): boolean {
    const length = frame.length;
    const segmented = length > this.layout.maxFrame;
    const slot = segmented ? this.freeSegmented[this.segmentedTop - 1] : this.freeSlots[this.freeTop - 1];
    const bytes = this.bytes(slot);
    const headerSize = this.layout.headerSize;
    const state = this.headerStates[slot];
    // Without segmentation offload (no big slots) a segment size is never passed on to the device.
    const segmentSize = this.segmentedSlab === undefined ? 0 : (offload?.segmentSize ?? 0);
    if (segmented && segmentSize === 0) {
      // Beyond the MTU only as segments: consumed and counted, as an oversized copy would be.
      this.counters.txOversize++;
      return true;
    }
    if (offload === undefined) {
      if (state !== HeaderState.Zero) bytes.fill(0, 0, headerSize);
      this.headerStates[slot] = HeaderState.Zero;
    } else {
      if (state === HeaderState.Unknown || (state === HeaderState.Segmented && segmentSize === 0)) bytes.fill(0, 0, headerSize);
      bytes[NetHeader.Flags] = NetHeaderFlag.NeedsCsum;
      writeLe16(bytes, NetHeader.CsumStart, offload.start);
      writeLe16(bytes, NetHeader.CsumOffset, offload.offset);
      if (segmentSize > 0) {
        bytes[NetHeader.GsoType] = GSO_TCPV4;
        writeLe16(bytes, NetHeader.HdrLen, offload.headerLength ?? 0);
        writeLe16(bytes, NetHeader.GsoSize, segmentSize);
      }
      this.headerStates[slot] = segmentSize > 0 ? HeaderState.Segmented : HeaderState.Checksum;
    }
    const queue = this.queue;
    const physical = this.physical(slot);
    queue.begin();
    if (this.layout.splitHeader) {
      queue.addReadable(physical, headerSize);
      queue.addReadable(physical + headerSize, length);
    } else {
      queue.addReadable(physical, headerSize + length);
    }
    if (!queue.publish(slot)) {
      this.counters.txRingFull++;
      return false;
    }
    if (segmented) this.segmentedTop--;
    else this.freeTop--;
    this.counters.txFrames++;
    this.counters.txBytes += length;
    if (segmentSize > 0) this.counters.txSegmented++;
    if (++this.unkicked >= this.options.batch) this.flush();
    return true;
  }

  /** Copies a frame into a slot and publishes it; false when every slot or descriptor is in flight. */
  transmit(frame: Uint8Array, offload: ChecksumOffload | undefined): boolean {
    if (frame.length > (offload?.segmentSize !== undefined && offload.segmentSize > 0 ? this.frameLimit : this.layout.maxFrame)) {
      // Not back-pressure: retrying cannot help, so the frame is consumed and counted.
      this.counters.txOversize++;
      return true;
    }
    const slotFrame = this.allocate(frame.length);
    if (slotFrame === undefined) {
      this.counters.txRingFull++;
      return false;
    }
    slotFrame.set(frame);
    return this.transmitAllocated(slotFrame, offload);
  }

  /** Notifies the device of everything published since the last flush. */
  flush(): void {
    if (this.unkicked === 0) return;
    this.unkicked = 0;
    if (this.queue.kick()) this.counters.txKicks++;
  }

  /** Frames published but not yet notified. */
  get unflushed(): boolean {
    return this.unkicked > 0;
  }

  /**
   * After transmit() returned false: a sender waits for room. With interrupts the tx interrupt is
   * armed; returns true when completions are already waiting (check `roomAfterWait` at once).
   */
  awaitRoom(): boolean {
    this.waiting = true;
    return this.options.interrupts && this.queue.enableInterrupts();
  }

  /**
   * True once, when a sender waited for room and reclaiming made some; the tx interrupt is then
   * suppressed again. Drains with the interrupt's race-free re-check while it is armed.
   */
  roomAfterWait(): boolean {
    if (!this.waiting) return false;
    const reclaimed = this.options.interrupts ? this.queue.drain(this.reclaim) : this.reclaim();
    if (reclaimed === 0) return false;
    if (this.options.interrupts) this.queue.disableInterrupts();
    this.waiting = false;
    return true;
  }

  /** Slots the device has consumed go back on the free stack; returns how many. */
  private readonly reclaim = (): number => {
    const queue = this.queue;
    const regular = this.options.buffers;
    let count = 0;
    while (queue.nextCompletion() === Completion.Taken) {
      const slot = queue.completedToken as number;
      if (slot < regular) this.freeSlots[this.freeTop++] = slot;
      else this.freeSegmented[this.segmentedTop++] = slot;
      count++;
    }
    return count;
  };

  private freeCount(segmented: boolean): number {
    return segmented ? this.segmentedTop : this.freeTop;
  }

  private bytes(slot: number): Uint8Array {
    const regular = this.options.buffers;
    return slot < regular ? this.slab.bytes(slot) : (this.segmentedSlab as DmaSlab).bytes(slot - regular);
  }

  private physical(slot: number): number {
    const regular = this.options.buffers;
    return slot < regular ? this.slab.physical(slot) : (this.segmentedSlab as DmaSlab).physical(slot - regular);
  }
}

function alignSlot(bytes: number): number {
  return Math.ceil(bytes / SLOT_ALIGN) * SLOT_ALIGN;
}

function writeLe16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = value >>> 8;
}
