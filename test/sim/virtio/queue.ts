import { DeviceQueue } from "./device-queue";
import type { ChainBuffer, QueueEnv } from "./device-queue";
import { SimRequest } from "./request";
import {
  VIRTQ_ALIGN,
  VIRTQ_AVAIL_ELEM_SIZE,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_AVAIL_RING_OFFSET,
  VIRTQ_DESC_F,
  VIRTQ_DESC_SIZE,
  VIRTQ_USED_ELEM_SIZE,
  VIRTQ_USED_F_NO_NOTIFY,
  VIRTQ_USED_RING_OFFSET,
  splitRingOffsets,
  virtq_avail,
  virtq_desc,
  virtq_need_event,
  virtq_used,
  virtq_used_elem,
} from "./spec/split-ring";

const TWO_POW_32 = 0x1_0000_0000;
/** Drivers must not make a chain longer than 2^32 bytes in total (section 2.7.5). */
const MAX_CHAIN_BYTES = TWO_POW_32;

/** The device side of one split virtqueue. */
export class SimQueue extends DeviceQueue {
  lastAvail = 0;
  usedIdx = 0;
  private descView: DataView | undefined;
  private availView: DataView | undefined;
  private usedView: DataView | undefined;
  /** Descriptor table entries in chains the device has taken and not yet returned. */
  private owned = new Uint8Array(0);

  override reset(): void {
    super.reset();
    this.lastAvail = this.usedIdx = 0;
    this.descView = this.availView = this.usedView = undefined;
    this.owned = new Uint8Array(0);
  }

  /**
   * Maps the rings; reports and refuses rings outside DMA memory or misaligned (section 2.7).
   * `contiguous`: on a legacy interface the rings are one area from the descriptor table on, and
   * this many bytes of it (up to the end of the used ring) must lie in one DMA allocation.
   */
  enable(env: QueueEnv, contiguous?: number): boolean {
    const parts = splitRingOffsets(this.size);
    const fail = (message: string) => {
      env.report(`queue ${this.index}: ${message}`);
      return false;
    };
    const areas: readonly (readonly [string, number, number])[] = [
      ["descriptor table", this.desc, VIRTQ_ALIGN.descriptorTable],
      ["available ring", this.driver, VIRTQ_ALIGN.availableRing],
      ["used ring", this.device, VIRTQ_ALIGN.usedRing],
    ];
    const misaligned = areas.filter(([, address, align]) => address % align !== 0);
    if (misaligned.length > 0) return fail(misaligned.map(([part, address, align]) => `${part} 0x${address.toString(16)} not ${align}-aligned`).join(", "));
    if (contiguous !== undefined && env.memory.bytes(this.desc, contiguous) === undefined) {
      return fail(`legacy ring area 0x${this.desc.toString(16)}+${contiguous} outside DMA memory`);
    }
    this.descView = env.memory.dataView(this.desc, parts.descriptorTableSize);
    this.availView = env.memory.dataView(this.driver, parts.availableRingSize);
    this.usedView = env.memory.dataView(this.device, parts.usedRingSize);
    if (!this.descView || !this.availView || !this.usedView) {
      return fail(`rings (0x${this.desc.toString(16)}, 0x${this.driver.toString(16)}, 0x${this.device.toString(16)}) outside DMA memory`);
    }
    const usedFlags = this.usedView.getUint16(virtq_used.flags.offset, true);
    if (usedFlags !== 0) env.report(`queue ${this.index}: used ring flags 0x${usedFlags.toString(16)} not initialised to 0`);
    this.owned = new Uint8Array(this.size);
    this.enabled = true;
    return true;
  }

  /** Whether the ring memory is still allocated (a freed DMA buffer is detached). */
  ringsLive(): boolean {
    return [this.descView, this.availView, this.usedView].every((view) => view !== undefined && view.buffer.byteLength > 0);
  }

  get availIdx(): number {
    return (this.availView as DataView).getUint16(virtq_avail.idx.offset, true);
  }

  /** Chains made available and not yet taken. */
  pending(env: QueueEnv): number {
    const ahead = (this.availIdx - this.lastAvail) & 0xffff;
    if (ahead > this.size) {
      // Also what a decremented idx looks like (section 2.7.6: the driver must not decrement it).
      env.report(`queue ${this.index}: avail idx ${this.availIdx} is ${ahead} ahead of ${this.lastAvail} (size ${this.size})`);
      return 0;
    }
    return ahead;
  }

  /** Takes the next available chain; undefined if it was invalid (reported). */
  take(env: QueueEnv): SimRequest | undefined {
    const avail = this.availView as DataView;
    const head = avail.getUint16(VIRTQ_AVAIL_RING_OFFSET + VIRTQ_AVAIL_ELEM_SIZE * (this.lastAvail % this.size), true);
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (head >= this.size) {
      env.report(`queue ${this.index}: avail head ${head} out of range`);
      return undefined;
    }
    const chain: Chain = { buffers: [], entries: [], bytes: 0, writable: false };
    if (!this.walk(env, this.descView as DataView, this.size, head, chain, false)) return undefined;
    const segments = this.segments(env, chain.buffers);
    if (segments === undefined) return undefined;
    for (const entry of chain.entries) {
      if (this.owned[entry]) {
        this.fail(env, `descriptor ${entry} made available again while the device still owns it`);
        return undefined;
      }
    }
    for (const entry of chain.entries) this.owned[entry] = 1;
    return new SimRequest(this.index, head, segments.readable, segments.writable, chain.entries);
  }

  /** The device is done with `request`: its descriptors go back to the driver. */
  release(request: SimRequest): void {
    for (const entry of request.descriptors) this.owned[entry] = 0;
  }

  /** Writes a used element (a split ring has no slots to skip). */
  pushUsed(env: QueueEnv, id: number, length: number): boolean {
    const used = this.usedView as DataView;
    const slot = VIRTQ_USED_RING_OFFSET + VIRTQ_USED_ELEM_SIZE * (this.usedIdx % this.size);
    used.setUint32(slot + virtq_used_elem.id.offset, id, true);
    used.setUint32(slot + virtq_used_elem.len.offset, length, true);
    const old = this.usedIdx;
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    used.setUint16(virtq_used.idx.offset, this.usedIdx, true);
    const avail = this.availView as DataView;
    const flags = avail.getUint16(virtq_avail.flags.offset, true);
    if (env.eventIdx ? flags !== 0 : (flags & ~VIRTQ_AVAIL_F_NO_INTERRUPT) !== 0) {
      env.report(`queue ${this.index}: avail flags 0x${flags.toString(16)}${env.eventIdx ? " with EVENT_IDX (must be 0)" : " (must be 0 or 1)"}`);
    }
    const wanted = env.eventIdx
      ? virtq_need_event(avail.getUint16(splitRingOffsets(this.size).usedEvent, true), this.usedIdx, old)
      : (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    return this.countInterrupt(wanted);
  }

  /** A descriptor table entry outside every chain the device holds (any, when all are held). */
  idleId(): number {
    const free = this.owned.indexOf(0);
    return free < 0 ? 0 : free;
  }

  /** With EVENT_IDX: notify once more chains come after the ones taken. */
  afterProcess(env: QueueEnv): void {
    if (env.eventIdx) this.setAvailEvent(this.lastAvail);
  }

  /** EVENT_IDX: ask to be notified once avail idx passes `idx`. */
  setAvailEvent(idx: number): void {
    (this.usedView as DataView).setUint16(splitRingOffsets(this.size).availEvent, idx & 0xffff, true);
  }

  /** Without EVENT_IDX: the used.flags NO_NOTIFY hint. */
  setNoNotify(on: boolean): void {
    (this.usedView as DataView).setUint16(virtq_used.flags.offset, on ? VIRTQ_USED_F_NO_NOTIFY : 0, true);
  }

  /**
   * Follows one chain through `table` (the descriptor table, or an indirect table when `nested`),
   * checking every driver requirement of section 2.7.5; the buffers are mapped afterwards.
   */
  private walk(env: QueueEnv, table: DataView, entries: number, first: number, chain: Chain, nested: boolean): boolean {
    let index = first;
    for (let count = 0; ; count++) {
      if (count >= entries) return this.fail(env, `descriptor chain from ${first} longer than ${entries} (loop)`);
      const at = index * VIRTQ_DESC_SIZE;
      const addr = at + virtq_desc.addr.offset;
      const physical = table.getUint32(addr + 4, true) * TWO_POW_32 + table.getUint32(addr, true);
      const length = table.getUint32(at + virtq_desc.len.offset, true);
      const flags = table.getUint16(at + virtq_desc.flags.offset, true);
      if (!nested) chain.entries.push(index);
      if (flags & VIRTQ_DESC_F.INDIRECT) {
        if (nested) return this.fail(env, "INDIRECT inside an indirect table");
        if (!env.indirect) return this.fail(env, "INDIRECT descriptor without INDIRECT_DESC negotiated");
        if (flags & VIRTQ_DESC_F.NEXT) return this.fail(env, "INDIRECT together with NEXT");
        if (length === 0 || length % VIRTQ_DESC_SIZE !== 0) return this.fail(env, `indirect table length ${length}`);
        const tableEntries = length / VIRTQ_DESC_SIZE;
        if (count + tableEntries > this.size) return this.fail(env, `chain with an indirect table of ${tableEntries} entries is longer than the queue size ${this.size}`);
        const inner = env.memory.dataView(physical, length);
        if (inner === undefined) return this.fail(env, `indirect table 0x${physical.toString(16)}+${length} outside DMA memory`);
        return this.walk(env, inner, tableEntries, 0, chain, true);
      }
      chain.bytes += length;
      if (chain.bytes > MAX_CHAIN_BYTES) return this.fail(env, `descriptor chain from ${first} longer than 2^32 bytes`);
      const write = (flags & VIRTQ_DESC_F.WRITE) !== 0;
      if (!write && chain.writable) return this.fail(env, `readable descriptor ${index} after a writable one`);
      chain.writable ||= write;
      chain.buffers.push({ physical, length, write });
      if ((flags & VIRTQ_DESC_F.NEXT) === 0) return true;
      index = table.getUint16(at + virtq_desc.next.offset, true);
      if (index >= entries) return this.fail(env, `next ${index} out of range`);
    }
  }

}

interface Chain {
  readonly buffers: ChainBuffer[];
  /** Descriptor table entries the chain uses (not those of an indirect table). */
  readonly entries: number[];
  /** Total length so far, and whether a device-writable buffer was seen. */
  bytes: number;
  writable: boolean;
}
