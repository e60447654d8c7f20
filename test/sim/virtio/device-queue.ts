import type { SimMemory } from "../memory";
import type { VirtioFaults } from "./faults";
import type { Segment, SimRequest } from "./request";
import { VIRTIO_MSI_NO_VECTOR } from "./spec/pci-capability";

/** What a queue needs of its device: memory, the negotiated ring features, faults and the violation log. */
export interface QueueEnv {
  readonly memory: SimMemory;
  readonly eventIdx: boolean;
  readonly indirect: boolean;
  readonly faults: VirtioFaults;
  /** IN_ORDER negotiated and the device writes one used entry per batch (packed rings). */
  readonly batchUsed: boolean;
  report(message: string): void;
}

/** One buffer element of a chain as the driver described it. */
export interface ChainBuffer {
  readonly physical: number;
  readonly length: number;
  readonly write: boolean;
}

/**
 * The device side of one virtqueue, whatever its format: set-up state written through the
 * transport, counters the tests read, and the operations a device model uses (take a chain,
 * return it as used). Split and packed rings (queue.ts, packed-queue.ts) implement the format.
 */
export abstract class DeviceQueue {
  size: number;
  /** Descriptor area, driver area, device area (their meaning depends on the format). */
  desc = 0;
  driver = 0;
  device = 0;
  enabled = false;
  /** The driver wrote queue_size (until then the maximum reads back). */
  sizeWritten = false;
  msixVector = VIRTIO_MSI_NO_VECTOR;
  notifications = 0;
  /** Used entries after which the driver asked for an interrupt, and after which it did not. */
  interrupts = 0;
  suppressed = 0;
  /** Requests the test holds back to complete later, in any order. */
  readonly held: SimRequest[] = [];
  /** Buffers the device model keeps until it has data (net rx). */
  readonly parked: SimRequest[] = [];

  constructor(
    readonly index: number,
    readonly maxSize: number,
  ) {
    this.size = maxSize;
  }

  /** Whether the ring memory is still allocated (a freed DMA buffer is detached). */
  abstract ringsLive(): boolean;

  reset(): void {
    this.size = this.maxSize;
    this.desc = this.driver = this.device = 0;
    this.enabled = false;
    this.sizeWritten = false;
    this.msixVector = VIRTIO_MSI_NO_VECTOR;
    this.held.length = 0;
    this.parked.length = 0;
  }

  /** Maps the areas; reports and refuses areas outside DMA memory or misaligned. */
  abstract enable(env: QueueEnv, contiguous?: number): boolean;
  /** Chains made available and not yet taken. */
  abstract pending(env: QueueEnv): number;
  /** Takes the next available chain; undefined if it was invalid (reported). */
  abstract take(env: QueueEnv): SimRequest | undefined;
  /** The device is done with `request`: its descriptors (and id) go back to the driver. */
  abstract release(request: SimRequest): void;
  /**
   * Returns a buffer as used with `id` and `length` (`slots`: descriptors it occupied, which a
   * packed ring skips); returns (and counts) whether the driver asked for an interrupt.
   */
  abstract pushUsed(env: QueueEnv, id: number, length: number, slots: number): boolean;
  /** An id the device could name in a used entry that is not in flight. */
  abstract idleId(): number;
  /** After a processing pass: tells the driver where to notify next. */
  abstract afterProcess(env: QueueEnv): void;

  /** A notification arrived: checks it against what the device asked for. */
  checkNotification(_env: QueueEnv): void {}

  /** Writes a used entry held back for a batch, if any; returns whether the driver asked for an interrupt. */
  flushUsed(_env: QueueEnv): boolean {
    return false;
  }

  protected fail(env: QueueEnv, message: string): false {
    env.report(`queue ${this.index}: ${message}`);
    return false;
  }

  protected countInterrupt(wanted: boolean): boolean {
    if (wanted) this.interrupts++;
    else this.suppressed++;
    return wanted;
  }

  /** Maps every buffer of a chain; undefined (reported) if one lies outside DMA memory. */
  protected segments(env: QueueEnv, buffers: readonly ChainBuffer[]): { readable: Segment[]; writable: Segment[] } | undefined {
    const readable: Segment[] = [];
    const writable: Segment[] = [];
    for (const buffer of buffers) {
      const bytes = env.memory.bytes(buffer.physical, buffer.length);
      if (bytes === undefined) {
        this.fail(env, `buffer 0x${buffer.physical.toString(16)}+${buffer.length} outside DMA memory`);
        return undefined;
      }
      (buffer.write ? writable : readable).push({ physical: buffer.physical, bytes });
    }
    return { readable, writable };
  }
}
