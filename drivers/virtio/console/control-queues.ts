/** The control queue pair: receive buffers kept posted, and messages to the device through a bounded backlog. */
import { DmaSlab } from "../../../kernel/dma";
import type { Platform } from "../../../kernel/platform";
import { Completion, type Virtqueue } from "../ring/virtqueue";
import { ControlMessage } from "./constants";
import { encodeControl } from "./control-message";
import { CONTROL_BUFFER_BYTES } from "./limits";

/** Handed the bytes the device wrote and their count; the buffer is re-posted after it returns. */
export type ControlHandler = (bytes: Uint8Array, length: number) => void;

/** control receiveq: one device-writable buffer per message (legacy devices want a single descriptor). */
export class ControlReceiver {
  private readonly slab: DmaSlab;

  constructor(
    platform: Platform,
    readonly queue: Virtqueue<number>,
    buffers: number,
  ) {
    this.slab = new DmaSlab(platform, Math.min(buffers, queue.size), CONTROL_BUFFER_BYTES);
  }

  start(): void {
    for (let slot = 0; slot < this.slab.count; slot++) this.post(slot);
    this.queue.kick();
  }

  /**
   * Hands up to `budget` messages to `handler`, re-posting each buffer; returns how many. The
   * device is told of the re-posted buffers even when the handler throws (an app's callback).
   */
  take(handler: ControlHandler, budget: number): number {
    const queue = this.queue;
    let count = 0;
    try {
      while (count < budget && queue.nextCompletion() === Completion.Taken) {
        const slot = queue.completedToken as number;
        const bytes = this.slab.bytes(slot);
        count++;
        try {
          handler(bytes, queue.completedLength);
        } finally {
          bytes.fill(0, 0, Math.min(queue.completedLength, bytes.length));
          this.post(slot);
        }
      }
    } finally {
      if (count > 0 && queue.broken === undefined) queue.kick();
    }
    return count;
  }

  private post(slot: number): void {
    const queue = this.queue;
    queue.begin();
    queue.addWritable(this.slab.physical(slot), CONTROL_BUFFER_BYTES);
    queue.publish(slot);
  }
}

/**
 * control transmitq: `slots` messages in flight at most; further ones wait in a backlog of
 * `backlog` entries (kept as numbers, so sending allocates nothing), and past that are refused.
 */
export class ControlSender {
  private readonly slab: DmaSlab;
  private readonly freeSlots: Uint16Array;
  private freeCount: number;
  private readonly ids: Uint32Array;
  private readonly events: Uint16Array;
  private readonly values: Uint16Array;
  private head = 0;
  private waiting = 0;

  constructor(
    platform: Platform,
    readonly queue: Virtqueue<number>,
    slots: number,
    backlog: number,
  ) {
    const count = Math.min(slots, queue.size);
    this.slab = new DmaSlab(platform, count, ControlMessage.Size);
    this.freeSlots = new Uint16Array(count);
    for (let i = 0; i < count; i++) this.freeSlots[i] = i;
    this.freeCount = count;
    this.ids = new Uint32Array(backlog);
    this.events = new Uint16Array(backlog);
    this.values = new Uint16Array(backlog);
  }

  /** Queues a message for the next `flush`; false when the backlog is full (nothing queued). */
  send(id: number, event: number, value: number): boolean {
    const capacity = this.ids.length;
    if (this.waiting === capacity) return false;
    const at = (this.head + this.waiting) % capacity;
    this.ids[at] = id;
    this.events[at] = event;
    this.values[at] = value;
    this.waiting++;
    return true;
  }

  /** Takes back the slots the device used, then hands it as much of the backlog as fits. */
  flush(): void {
    const queue = this.queue;
    while (queue.nextCompletion() === Completion.Taken) this.freeSlots[this.freeCount++] = queue.completedToken as number;
    if (queue.broken !== undefined) return;
    let published = 0;
    while (this.waiting > 0 && this.freeCount > 0) {
      const slot = this.freeSlots[--this.freeCount];
      const at = this.head;
      encodeControl(this.slab.bytes(slot), this.ids[at], this.events[at], this.values[at]);
      queue.begin();
      queue.addReadable(this.slab.physical(slot), ControlMessage.Size);
      if (!queue.publish(slot)) {
        this.freeSlots[this.freeCount++] = slot;
        break;
      }
      this.head = (at + 1) % this.ids.length;
      this.waiting--;
      published++;
    }
    if (published > 0) queue.kick();
  }
}
