import { DmaSlab } from "../../../kernel/dma";
import type { Platform } from "../../../kernel/platform";
import { Completion, type Virtqueue } from "../ring/virtqueue";

/** Descriptors per request: the T-message (device-readable) and the buffer for the R-message (device-writable). */
const DESCRIPTORS_PER_REQUEST = 2;

/** Called per used buffer with its slot and the length the device wrote. */
export type ReplyHandler = (slot: number, usedLength: number) => void;

/**
 * The request queue and its DMA: `count` slots, each a request buffer and a reply buffer of
 * msize bytes in one region. A slot is one request in flight; its index is the request's tag.
 * Publishing and taking completions allocate nothing.
 */
export class RequestSlots {
  readonly count: number;
  readonly msize: number;
  private readonly slab: DmaSlab;
  private readonly requests: Uint8Array[] = [];
  private readonly replies: Uint8Array[] = [];
  private handler: ReplyHandler | undefined;

  constructor(
    platform: Platform,
    readonly queue: Virtqueue<number>,
    count: number,
    msize: number,
  ) {
    // Every slot must fit the ring at once: no publish can then be refused for room.
    this.count = Math.min(count, Math.floor(queue.size / DESCRIPTORS_PER_REQUEST));
    this.msize = msize;
    this.slab = new DmaSlab(platform, this.count, msize * 2);
    for (let slot = 0; slot < this.count; slot++) {
      const bytes = this.slab.bytes(slot);
      this.requests.push(bytes.subarray(0, msize));
      this.replies.push(bytes.subarray(msize));
    }
  }

  /** Where slot `slot`'s T-message is written. */
  request(slot: number): Uint8Array {
    return this.requests[slot];
  }

  /** Where the device writes slot `slot`'s R-message. */
  reply(slot: number): Uint8Array {
    return this.replies[slot];
  }

  /** Hands the first `length` bytes of the slot's request to the device, with its whole reply buffer; kicks. */
  submit(slot: number, length: number): void {
    const queue = this.queue;
    const physical = this.slab.physical(slot);
    queue.begin();
    queue.addReadable(physical, length);
    queue.addWritable(physical + this.msize, this.msize);
    // Cannot be refused: the ring holds every slot's chain (see the constructor).
    queue.publish(slot);
    queue.kick();
  }

  /** Hands every used buffer to `handler`; returns how many. */
  complete(handler: ReplyHandler): number {
    this.handler = handler;
    return this.queue.drain(this.consume);
  }

  private readonly consume = (): number => {
    const queue = this.queue;
    const handler = this.handler as ReplyHandler;
    let count = 0;
    // Bounded: at most `count` buffers are in flight, and each comes back once.
    while (count < this.count && queue.nextCompletion() === Completion.Taken) {
      handler(queue.completedToken as number, queue.completedLength);
      count++;
    }
    return count;
  };
}
