import { AVAIL_NO_INTERRUPT, Desc, DescFlag, RING_HEADER_SIZE, USED_ELEM_SIZE, USED_NO_NOTIFY } from "../../../drivers/virtio/ring/split-format";
import { NO_VECTOR } from "../../../drivers/virtio/interrupts";
import { vringNeedEvent } from "../../../drivers/virtio/ring/event-idx";
import type { SimMemory } from "../memory";
import { SimRequest } from "./request";
import type { Segment } from "./request";

export interface QueueEnv {
  readonly memory: SimMemory;
  readonly eventIdx: boolean;
  readonly indirect: boolean;
  report(message: string): void;
}

const AVAIL_IDX = 2;
const USED_IDX = 2;
const TWO_POW_32 = 0x1_0000_0000;

/** The device side of one split virtqueue. */
export class SimQueue {
  size: number;
  desc = 0;
  driver = 0;
  device = 0;
  enabled = false;
  /** The driver wrote queue_size (until then the maximum reads back). */
  sizeWritten = false;
  msixVector = NO_VECTOR;
  lastAvail = 0;
  usedIdx = 0;
  notifications = 0;
  /** Used elements after which the driver asked for an interrupt, and after which it did not. */
  interrupts = 0;
  suppressed = 0;
  /** Requests the test holds back to complete later, in any order. */
  readonly held: SimRequest[] = [];
  /** Buffers the device model keeps until it has data (net rx). */
  readonly parked: SimRequest[] = [];
  private descView: DataView | undefined;
  private availView: DataView | undefined;
  private usedView: DataView | undefined;

  constructor(
    readonly index: number,
    readonly maxSize: number,
  ) {
    this.size = maxSize;
  }

  reset(): void {
    this.size = this.maxSize;
    this.desc = this.driver = this.device = 0;
    this.enabled = false;
    this.sizeWritten = false;
    this.msixVector = NO_VECTOR;
    this.lastAvail = this.usedIdx = 0;
    this.held.length = 0;
    this.parked.length = 0;
    this.descView = this.availView = this.usedView = undefined;
  }

  /** Maps the rings; reports and refuses rings outside DMA memory. */
  enable(env: QueueEnv): boolean {
    const n = this.size;
    this.descView = env.memory.dataView(this.desc, n * Desc.Size);
    this.availView = env.memory.dataView(this.driver, RING_HEADER_SIZE + 2 * n + 2);
    this.usedView = env.memory.dataView(this.device, RING_HEADER_SIZE + USED_ELEM_SIZE * n + 2);
    if (!this.descView || !this.availView || !this.usedView) {
      env.report(`queue ${this.index}: rings (0x${this.desc.toString(16)}, 0x${this.driver.toString(16)}, 0x${this.device.toString(16)}) outside DMA memory`);
      return false;
    }
    this.enabled = true;
    return true;
  }

  get availIdx(): number {
    return (this.availView as DataView).getUint16(AVAIL_IDX, true);
  }

  /** Chains made available and not yet taken. */
  pending(env: QueueEnv): number {
    const ahead = (this.availIdx - this.lastAvail) & 0xffff;
    if (ahead > this.size) {
      env.report(`queue ${this.index}: avail idx ${this.availIdx} is ${ahead} ahead of ${this.lastAvail} (size ${this.size})`);
      return 0;
    }
    return ahead;
  }

  /** Takes the next available chain; undefined if it was invalid (reported). */
  take(env: QueueEnv): SimRequest | undefined {
    const avail = this.availView as DataView;
    const head = avail.getUint16(RING_HEADER_SIZE + 2 * (this.lastAvail % this.size), true);
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (head >= this.size) {
      env.report(`queue ${this.index}: avail head ${head} out of range`);
      return undefined;
    }
    const readable: Segment[] = [];
    const writable: Segment[] = [];
    const ok = this.walk(env, this.descView as DataView, this.size, head, readable, writable, false);
    return ok ? new SimRequest(this.index, head, readable, writable) : undefined;
  }

  /** Writes a used element; returns (and counts) whether the driver asked for an interrupt. */
  pushUsed(env: QueueEnv, id: number, length: number): boolean {
    const used = this.usedView as DataView;
    const slot = RING_HEADER_SIZE + USED_ELEM_SIZE * (this.usedIdx % this.size);
    used.setUint32(slot, id, true);
    used.setUint32(slot + 4, length, true);
    const old = this.usedIdx;
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    used.setUint16(USED_IDX, this.usedIdx, true);
    const avail = this.availView as DataView;
    const wanted = env.eventIdx
      ? vringNeedEvent(avail.getUint16(RING_HEADER_SIZE + 2 * this.size, true), this.usedIdx, old)
      : (avail.getUint16(0, true) & AVAIL_NO_INTERRUPT) === 0;
    if (wanted) this.interrupts++;
    else this.suppressed++;
    return wanted;
  }

  /** EVENT_IDX: ask to be notified once avail idx passes `idx`. */
  setAvailEvent(idx: number): void {
    (this.usedView as DataView).setUint16(RING_HEADER_SIZE + USED_ELEM_SIZE * this.size, idx & 0xffff, true);
  }

  /** Without EVENT_IDX: the used.flags NO_NOTIFY hint. */
  setNoNotify(on: boolean): void {
    (this.usedView as DataView).setUint16(0, on ? USED_NO_NOTIFY : 0, true);
  }

  private walk(
    env: QueueEnv,
    table: DataView,
    entries: number,
    first: number,
    readable: Segment[],
    writable: Segment[],
    nested: boolean,
  ): boolean {
    let index = first;
    for (let count = 0; ; count++) {
      if (count >= entries) return this.fail(env, `descriptor chain from ${first} longer than ${entries} (loop)`);
      const at = index * Desc.Size;
      const physical = table.getUint32(at + Desc.Addr + 4, true) * TWO_POW_32 + table.getUint32(at + Desc.Addr, true);
      const length = table.getUint32(at + Desc.Len, true);
      const flags = table.getUint16(at + Desc.Flags, true);
      if (flags & DescFlag.Indirect) {
        if (nested) return this.fail(env, "INDIRECT inside an indirect table");
        if (!env.indirect) return this.fail(env, "INDIRECT descriptor without INDIRECT_DESC negotiated");
        if (flags & DescFlag.Next) return this.fail(env, "INDIRECT together with NEXT");
        if (length === 0 || length % Desc.Size !== 0) return this.fail(env, `indirect table length ${length}`);
        const inner = env.memory.dataView(physical, length);
        if (inner === undefined) return this.fail(env, `indirect table 0x${physical.toString(16)}+${length} outside DMA memory`);
        return this.walk(env, inner, length / Desc.Size, 0, readable, writable, true);
      }
      const bytes = env.memory.bytes(physical, length);
      if (bytes === undefined) return this.fail(env, `descriptor ${index} buffer 0x${physical.toString(16)}+${length} outside DMA memory`);
      if (flags & DescFlag.Write) writable.push({ physical, bytes });
      else if (writable.length > 0) return this.fail(env, `readable descriptor ${index} after a writable one`);
      else readable.push({ physical, bytes });
      if ((flags & DescFlag.Next) === 0) return true;
      index = table.getUint16(at + Desc.Next, true);
      if (index >= entries) return this.fail(env, `next ${index} out of range`);
    }
  }

  private fail(env: QueueEnv, message: string): boolean {
    env.report(`queue ${this.index}: ${message}`);
    return false;
  }
}
