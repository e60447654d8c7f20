/**
 * One port's receiveq and transmitq with their buffers. Receive buffers are re-posted only once a
 * reader has taken their bytes, so a port nobody reads holds at most its posted buffers and the
 * device waits (back-pressure towards the host). Transmit buffers come back when the device used
 * them; while none is free a writer waits (back-pressure towards the port's user).
 *
 * A channel belongs to a port number, not to one added port: the device keeps the buffers posted to
 * a removed port's queues until reset, and a port added again under the number finds them there.
 */
import { DmaSlab } from "../../../kernel/dma";
import type { Platform } from "../../../kernel/platform";
import { Completion, type Virtqueue } from "../ring/virtqueue";

export interface PortChannelSizes {
  readonly rxBuffers: number;
  readonly rxBufferSize: number;
  readonly txBuffers: number;
  readonly txBufferSize: number;
}

export class PortChannel {
  private readonly rx: DmaSlab;
  private readonly tx: DmaSlab;
  /** Filled receive buffers in arrival order (a ring of slots), their lengths and how far the head was read. */
  private readonly ready: Uint16Array;
  private readonly lengths: Uint32Array;
  private readyHead = 0;
  private readyCount = 0;
  private headOffset = 0;
  private readyBytes = 0;
  private readonly freeTx: Uint16Array;
  private freeTxCount: number;
  private started = false;
  /** An empty receive buffer went straight back during `receive`: the device is told after it. */
  private repostedEmpty = false;
  /**
   * Used receive buffers `receive` may still take: empty ones go straight back, and a device that
   * returns them at once would otherwise keep the loop going for ever.
   */
  private receiveBudget = 0;

  constructor(
    platform: Platform,
    readonly rxQueue: Virtqueue<number>,
    readonly txQueue: Virtqueue<number>,
    sizes: PortChannelSizes,
  ) {
    this.rx = new DmaSlab(platform, Math.min(sizes.rxBuffers, rxQueue.size), sizes.rxBufferSize);
    this.tx = new DmaSlab(platform, Math.min(sizes.txBuffers, txQueue.size), sizes.txBufferSize);
    this.ready = new Uint16Array(this.rx.count);
    this.lengths = new Uint32Array(this.rx.count);
    this.freeTx = new Uint16Array(this.tx.count);
    for (let i = 0; i < this.tx.count; i++) this.freeTx[i] = i;
    this.freeTxCount = this.tx.count;
  }

  /** Bytes received and not read yet. */
  get readable(): number {
    return this.readyBytes;
  }

  /** Bytes `writeSome` would take now. */
  get writable(): number {
    return this.freeTxCount * this.tx.slotSize;
  }

  /** Transmit buffers the device has not used yet. */
  get txInFlight(): number {
    return this.tx.count - this.freeTxCount;
  }

  /** Posts every receive buffer, the first time the port number is added. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (let slot = 0; slot < this.rx.count; slot++) this.postRx(slot);
    this.rxQueue.kick();
  }

  /** Moves filled receive buffers to the ready list, at most one per receive buffer; returns how many used buffers it took. */
  receive(): number {
    this.receiveBudget = this.rx.count;
    const taken = this.rxQueue.drain(this.takeReceived);
    if (this.repostedEmpty && this.rxQueue.broken === undefined) this.rxQueue.kick();
    this.repostedEmpty = false;
    return taken;
  }

  /** Whether the last `receive` stopped on its budget with used buffers left (the caller must come back). */
  get receivePending(): boolean {
    return this.receiveBudget === 0 && this.rxQueue.hasCompletions();
  }

  /** Takes back transmit buffers the device used; returns how many. */
  reclaim(): number {
    return this.txQueue.drain(this.takeTransmitted);
  }

  /** Copies up to `target.length` received bytes into `target`, re-posting emptied buffers; returns the count. */
  readInto(target: Uint8Array): number {
    let copied = 0;
    let reposted = 0;
    while (copied < target.length && this.readyCount > 0) {
      const slot = this.ready[this.readyHead];
      const length = this.lengths[slot];
      const n = Math.min(length - this.headOffset, target.length - copied);
      target.set(this.rx.bytes(slot).subarray(this.headOffset, this.headOffset + n), copied);
      copied += n;
      this.headOffset += n;
      if (this.headOffset === length) {
        this.dropHead();
        reposted++;
      }
    }
    this.readyBytes -= copied;
    if (reposted > 0 && this.rxQueue.broken === undefined) this.rxQueue.kick();
    return copied;
  }

  /** Drops whatever was received and not read (the port went away), re-posting the buffers. */
  discard(): void {
    let reposted = 0;
    while (this.readyCount > 0) {
      this.dropHead();
      reposted++;
    }
    this.readyBytes = 0;
    if (reposted > 0 && this.rxQueue.broken === undefined) this.rxQueue.kick();
  }

  /** Copies bytes[from, to) into free transmit buffers and hands them to the device; returns how many it took. */
  writeSome(bytes: Uint8Array, from = 0, to = bytes.length): number {
    const queue = this.txQueue;
    if (queue.broken !== undefined) return 0;
    const size = this.tx.slotSize;
    let at = from;
    let published = 0;
    while (at < to && this.freeTxCount > 0) {
      const slot = this.freeTx[this.freeTxCount - 1];
      const n = Math.min(size, to - at);
      this.tx.bytes(slot).set(bytes.subarray(at, at + n));
      queue.begin();
      queue.addReadable(this.tx.physical(slot), n);
      if (!queue.publish(slot)) break;
      this.freeTxCount--;
      at += n;
      published++;
    }
    if (published > 0) queue.kick();
    return at - from;
  }

  private dropHead(): void {
    const slot = this.ready[this.readyHead];
    this.readyHead = (this.readyHead + 1) % this.ready.length;
    this.readyCount--;
    this.headOffset = 0;
    this.postRx(slot);
  }

  private readonly takeReceived = (): number => {
    const queue = this.rxQueue;
    let count = 0;
    while (this.receiveBudget > 0 && queue.nextCompletion() === Completion.Taken) {
      const slot = queue.completedToken as number;
      const length = queue.completedLength;
      count++;
      this.receiveBudget--;
      if (length === 0) {
        this.postRx(slot);
        this.repostedEmpty = true;
        continue;
      }
      this.lengths[slot] = length;
      this.ready[(this.readyHead + this.readyCount) % this.ready.length] = slot;
      this.readyCount++;
      this.readyBytes += length;
    }
    return count;
  };

  private readonly takeTransmitted = (): number => {
    const queue = this.txQueue;
    let count = 0;
    while (queue.nextCompletion() === Completion.Taken) {
      this.freeTx[this.freeTxCount++] = queue.completedToken as number;
      count++;
    }
    return count;
  };

  private postRx(slot: number): void {
    const queue = this.rxQueue;
    if (queue.broken !== undefined) return;
    queue.begin();
    queue.addWritable(this.rx.physical(slot), this.rx.slotSize);
    queue.publish(slot);
  }
}
