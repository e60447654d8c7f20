import { DeviceQueue } from "./device-queue";
import type { ChainBuffer, QueueEnv } from "./device-queue";
import { SimRequest } from "./request";
import {
  PVIRTQ_ALIGN,
  PVIRTQ_DESC_SIZE,
  PVIRTQ_EVENT_OFF_MASK,
  PVIRTQ_EVENT_SUPPRESS_SIZE,
  PVIRTQ_EVENT_WRAP_SHIFT,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  RING_EVENT_FLAGS_MASK,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  pvirtq_desc,
  pvirtq_event_suppress,
} from "./spec/packed-ring";

const TWO_POW_32 = 0x1_0000_0000;
const WRAP_BITS = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;
/** Buffer ids are le16. */
const BUFFER_IDS = 0x1_0000;

/** How the device asks for available buffer notifications (its device event suppression structure). */
export type DeviceEventMode = "enable" | "disable" | "desc";
const DEVICE_EVENT_FLAGS: Record<DeviceEventMode, number> = {
  enable: RING_EVENT_FLAGS_ENABLE,
  disable: RING_EVENT_FLAGS_DISABLE,
  desc: RING_EVENT_FLAGS_DESC,
};

/** A ring position with the wrap counter of the lap it belongs to. */
interface RingPoint {
  position: number;
  wrap: boolean;
}

/** What the device found from its next available position on (see `scan`). */
interface Scan {
  /** Complete chains made available, and the descriptors they cover. */
  chains: number;
  descriptors: number;
}

/**
 * The device side of one packed virtqueue (virtio 1.2 section 2.8): the descriptor ring (in the
 * descriptor area), the driver's event suppression structure (driver area, read here) and the
 * device's own (device area, written here). The device keeps its own wrap counters and positions.
 */
export class PackedQueue extends DeviceQueue {
  /** Next descriptor to read and the wrap counter a descriptor there must carry to be available. */
  readonly avail: RingPoint = { position: 0, wrap: true };
  /** Next position to write a used descriptor at, and the Device Ring Wrap Counter. */
  readonly used: RingPoint = { position: 0, wrap: true };
  /** Available buffer notifications the device asks for; `eventAhead`: DESC offset past the next available position. */
  private eventMode: DeviceEventMode = "enable";
  private eventAhead = 0;
  private ring: DataView | undefined;
  private driverEvent: DataView | undefined;
  private deviceEvent: DataView | undefined;

  ringsLive(): boolean {
    return [this.ring, this.driverEvent, this.deviceEvent].every((view) => view !== undefined && view.buffer.byteLength > 0);
  }
  /** Buffer ids taken and not yet returned. */
  private inFlight = new Uint8Array(0);
  /** AVAIL/USED bits each position holds while not available: what the device last saw or wrote there. */
  private idle = new Uint16Array(0);
  /** With batched used entries (IN_ORDER): the batch so far, written as one entry by `flushUsed`. */
  private batchId = 0;
  private batchLength = 0;
  private batchSlots = 0;

  override reset(): void {
    super.reset();
    this.avail.position = this.used.position = 0;
    this.avail.wrap = this.used.wrap = true;
    this.eventMode = "enable";
    this.eventAhead = 0;
    this.ring = this.driverEvent = this.deviceEvent = undefined;
    this.inFlight = new Uint8Array(0);
    this.idle = new Uint16Array(0);
    this.batchSlots = 0;
  }

  /** Descriptor ring, driver and device event suppression areas: aligned and in DMA memory (section 2.8). */
  enable(env: QueueEnv): boolean {
    const areas: readonly (readonly [string, number, number])[] = [
      ["descriptor ring", this.desc, PVIRTQ_ALIGN.descriptorRing],
      ["driver event suppression", this.driver, PVIRTQ_ALIGN.driverEventSuppression],
      ["device event suppression", this.device, PVIRTQ_ALIGN.deviceEventSuppression],
    ];
    const misaligned = areas.filter(([, address, align]) => address % align !== 0);
    if (misaligned.length > 0) return this.fail(env, misaligned.map(([part, address, align]) => `${part} 0x${address.toString(16)} not ${align}-aligned`).join(", "));
    this.ring = env.memory.dataView(this.desc, PVIRTQ_DESC_SIZE * this.size);
    this.driverEvent = env.memory.dataView(this.driver, PVIRTQ_EVENT_SUPPRESS_SIZE);
    this.deviceEvent = env.memory.dataView(this.device, PVIRTQ_EVENT_SUPPRESS_SIZE);
    if (!this.ring || !this.driverEvent || !this.deviceEvent) {
      return this.fail(env, `packed areas (0x${this.desc.toString(16)}, 0x${this.driver.toString(16)}, 0x${this.device.toString(16)}) outside DMA memory`);
    }
    this.inFlight = new Uint8Array(BUFFER_IDS);
    // The descriptor ring is zero-initialised: before its first lap no position is available.
    this.idle = new Uint16Array(this.size);
    this.enabled = true;
    this.writeDeviceEvent();
    return true;
  }

  /** Sets the device event suppression structure (DESC needs EVENT_IDX negotiated). */
  setDeviceEvent(env: QueueEnv, mode: DeviceEventMode, ahead = 0): void {
    if (mode === "desc" && !env.eventIdx) throw new Error("RING_EVENT_FLAGS_DESC needs VIRTIO_F_EVENT_IDX negotiated");
    this.eventMode = mode;
    this.eventAhead = ahead;
    this.writeDeviceEvent();
  }

  pending(env: QueueEnv): number {
    return this.scan(env, true).chains;
  }

  /**
   * Notifications the device did not ask for: with DISABLE, or with DESC before the descriptor at
   * the event offset and wrap counter was made available (section 2.8, Event Suppression).
   */
  override checkNotification(env: QueueEnv): void {
    if (this.eventMode === "disable") {
      this.fail(env, "notification while the device event suppression flags are RING_EVENT_FLAGS_DISABLE");
      return;
    }
    if (this.eventMode !== "desc") return;
    const desc = (this.deviceEvent as DataView).getUint16(pvirtq_event_suppress.desc.offset, true);
    const event = this.lap(desc & PVIRTQ_EVENT_OFF_MASK, desc >> PVIRTQ_EVENT_WRAP_SHIFT === 1);
    const made = this.scan(env, false).descriptors;
    if (this.distance(this.lap(this.avail.position, this.avail.wrap), event) >= made) {
      this.fail(env, `notification before the descriptor at the event offset ${desc & PVIRTQ_EVENT_OFF_MASK} (wrap ${desc >> PVIRTQ_EVENT_WRAP_SHIFT}) was made available`);
    }
  }

  take(env: QueueEnv): SimRequest | undefined {
    const ring = this.ring as DataView;
    const first = this.avail.position;
    const buffers: ChainBuffer[] = [];
    const positions: number[] = [];
    let writable = false;
    let id = 0;
    let valid = true;
    // `pending` counted this chain complete and no longer than the queue.
    for (let count = 0; count < this.size; count++) {
      const at = this.avail.position * PVIRTQ_DESC_SIZE;
      const flags = ring.getUint16(at + pvirtq_desc.flags.offset, true);
      const addr = at + pvirtq_desc.addr.offset;
      const physical = ring.getUint32(addr + 4, true) * TWO_POW_32 + ring.getUint32(addr, true);
      const length = ring.getUint32(at + pvirtq_desc.len.offset, true);
      id = ring.getUint16(at + pvirtq_desc.id.offset, true);
      positions.push(this.avail.position);
      this.idle[this.avail.position] = flags & WRAP_BITS;
      this.advance(this.avail, 1);
      if (valid && flags & VIRTQ_DESC_F_INDIRECT) {
        valid = this.indirect(env, flags, count, physical, length, buffers);
      } else if (valid) {
        buffers.push({ physical, length, write: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
      }
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) break;
    }
    for (const buffer of buffers) {
      if (!valid) break;
      if (!buffer.write && writable) valid = this.fail(env, `readable element after a writable one in the list at position ${first}`);
      writable ||= buffer.write;
    }
    if (!valid) return undefined;
    if (this.inFlight[id]) {
      this.fail(env, `buffer id ${id} made available again while in flight`);
      return undefined;
    }
    const segments = this.segments(env, buffers);
    if (segments === undefined) return undefined;
    this.inFlight[id] = 1;
    return new SimRequest(this.index, id, segments.readable, segments.writable, positions);
  }

  release(request: SimRequest): void {
    this.inFlight[request.head] = 0;
  }

  /** With batched used entries the write waits for `flushUsed`; the batch is reported by its last id. */
  pushUsed(env: QueueEnv, id: number, length: number, slots: number): boolean {
    if (!env.batchUsed) return this.writeUsed(env, id, length, slots);
    this.batchId = id;
    this.batchLength = length;
    this.batchSlots += slots;
    return false;
  }

  override flushUsed(env: QueueEnv): boolean {
    if (this.batchSlots === 0) return false;
    const slots = this.batchSlots;
    this.batchSlots = 0;
    return this.writeUsed(env, this.batchId, this.batchLength, slots);
  }

  idleId(): number {
    const free = this.inFlight.indexOf(0);
    return free < 0 ? 0 : free;
  }

  /** In DESC mode the event offset follows the next available position. */
  afterProcess(): void {
    if (this.eventMode === "desc") this.writeDeviceEvent();
  }

  /**
   * Writes a used descriptor at the next used position (id and len first, flags last, which
   * exposes it), then skips the `slots` descriptors the buffer (or batch) occupied.
   */
  private writeUsed(env: QueueEnv, id: number, length: number, slots: number): boolean {
    const ring = this.ring as DataView;
    const at = this.used.position * PVIRTQ_DESC_SIZE;
    ring.setUint16(at + pvirtq_desc.id.offset, id, true);
    ring.setUint32(at + pvirtq_desc.len.offset, length, true);
    const wrap = this.used.wrap;
    const bits = {
      ok: wrap ? WRAP_BITS : 0,
      inverted: wrap ? 0 : WRAP_BITS,
      mismatched: wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED,
    }[env.faults.usedWrapBits];
    // WRITE in a used descriptor: the device wrote data (section 2.8, Write Flag).
    const flags = bits | (length > 0 ? VIRTQ_DESC_F_WRITE : 0);
    ring.setUint16(at + pvirtq_desc.flags.offset, flags, true);
    this.idle[this.used.position] = flags & WRAP_BITS;
    const old = this.lap(this.used.position, this.used.wrap);
    this.advance(this.used, slots);
    return this.countInterrupt(this.interruptWanted(env, old, this.lap(this.used.position, this.used.wrap)));
  }

  /** Reads the driver event suppression structure after used descriptors from `old` to `now`. */
  private interruptWanted(env: QueueEnv, old: number, now: number): boolean {
    const view = this.driverEvent as DataView;
    const flags = view.getUint16(pvirtq_event_suppress.flags.offset, true);
    if (flags & ~RING_EVENT_FLAGS_MASK) this.fail(env, `driver event suppression flags 0x${flags.toString(16)} set reserved bits`);
    switch (flags & RING_EVENT_FLAGS_MASK) {
      case RING_EVENT_FLAGS_ENABLE:
        return true;
      case RING_EVENT_FLAGS_DISABLE:
        return false;
      case RING_EVENT_FLAGS_DESC: {
        if (!env.eventIdx) this.fail(env, "driver event suppression flags RING_EVENT_FLAGS_DESC without VIRTIO_F_EVENT_IDX");
        const desc = view.getUint16(pvirtq_event_suppress.desc.offset, true);
        const offset = desc & PVIRTQ_EVENT_OFF_MASK;
        if (offset >= this.size) this.fail(env, `driver event offset ${offset} beyond the queue size ${this.size}`);
        const event = this.lap(offset, desc >> PVIRTQ_EVENT_WRAP_SHIFT === 1);
        // The event descriptor was among those just used: virtq_need_event over two laps of positions.
        return this.distance(event + 1, now) < this.distance(old, now);
      }
      default:
        this.fail(env, "driver event suppression flags 0x3 (reserved)");
        return true;
    }
  }

  /**
   * Walks the descriptors made available from the next available position on, counting complete
   * chains, and (with `report`) names every way the driver made them available wrongly.
   */
  private scan(env: QueueEnv, report: boolean): Scan {
    const ring = this.ring as DataView;
    const fail = (message: string) => report && this.fail(env, message);
    // Positions the driver may fill: those the device has returned as used (all, if a used-ring
    // fault ran the used position past the available one).
    const outstanding = this.distance(this.lap(this.used.position, this.used.wrap), this.lap(this.avail.position, this.avail.wrap));
    const free = outstanding > this.size ? this.size : this.size - outstanding;
    const point = { ...this.avail };
    let chains = 0;
    let descriptors = 0;
    let chainStart = -1;
    let chainLength = 0;
    for (let seen = 0; seen < this.size; seen++) {
      const flags = ring.getUint16(point.position * PVIRTQ_DESC_SIZE + pvirtq_desc.flags.offset, true);
      const expected = point.wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
      if ((flags & WRAP_BITS) !== expected) {
        if ((flags & WRAP_BITS) !== this.idle[point.position]) {
          fail(`descriptor at position ${point.position} has flags 0x${flags.toString(16)}: AVAIL/USED do not make it available for wrap counter ${point.wrap ? 1 : 0}`);
        } else if (chainStart >= 0) {
          fail(`the list from position ${chainStart} was made available before its descriptor at position ${point.position} (the first descriptor must be made available last)`);
        }
        break;
      }
      if (seen >= free) {
        fail(`descriptor at position ${point.position} made available before the device used it`);
        break;
      }
      if (chainStart < 0) chainStart = point.position;
      chainLength++;
      descriptors++;
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) {
        chains++;
        chainStart = -1;
        chainLength = 0;
      } else if (chainLength === this.size) {
        fail(`the list from position ${chainStart} is longer than the queue size ${this.size}`);
        break;
      }
      this.advance(point, 1);
    }
    return { chains, descriptors: descriptors - chainLength };
  }

  /** Follows an INDIRECT descriptor into its table (section 2.8, Indirect Flag). */
  private indirect(env: QueueEnv, flags: number, count: number, physical: number, length: number, buffers: ChainBuffer[]): boolean {
    if (!env.indirect) return this.fail(env, "INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC negotiated");
    if (flags & VIRTQ_DESC_F_NEXT || count > 0) return this.fail(env, "INDIRECT together with NEXT: an indirect descriptor may not be part of a list linked by NEXT");
    if (length === 0 || length % PVIRTQ_DESC_SIZE !== 0) return this.fail(env, `indirect table length ${length}`);
    const entries = length / PVIRTQ_DESC_SIZE;
    if (entries > this.size) return this.fail(env, `indirect table of ${entries} descriptors is longer than the queue size ${this.size}`);
    const table = env.memory.dataView(physical, length);
    if (table === undefined) return this.fail(env, `indirect table 0x${physical.toString(16)}+${length} outside DMA memory`);
    for (let i = 0; i < entries; i++) {
      const at = i * PVIRTQ_DESC_SIZE;
      const inner = table.getUint16(at + pvirtq_desc.flags.offset, true);
      if (inner & ~VIRTQ_DESC_F_WRITE) return this.fail(env, `indirect descriptor ${i} has flags 0x${inner.toString(16)} (only WRITE is allowed)`);
      const addr = at + pvirtq_desc.addr.offset;
      buffers.push({
        physical: table.getUint32(addr + 4, true) * TWO_POW_32 + table.getUint32(addr, true),
        length: table.getUint32(at + pvirtq_desc.len.offset, true),
        write: (inner & VIRTQ_DESC_F_WRITE) !== 0,
      });
    }
    return true;
  }

  private writeDeviceEvent(): void {
    const view = this.deviceEvent;
    if (view === undefined) return;
    const event = { ...this.avail };
    this.advance(event, this.eventAhead);
    const desc = event.position | ((event.wrap ? 1 : 0) << PVIRTQ_EVENT_WRAP_SHIFT);
    view.setUint16(pvirtq_event_suppress.desc.offset, this.eventMode === "desc" ? desc : 0, true);
    view.setUint16(pvirtq_event_suppress.flags.offset, DEVICE_EVENT_FLAGS[this.eventMode], true);
  }

  /** Moves `point` on by `count` positions, flipping its wrap counter at the end of the ring. */
  private advance(point: RingPoint, count: number): void {
    point.position += count;
    while (point.position >= this.size) {
      point.position -= this.size;
      point.wrap = !point.wrap;
    }
  }

  /** A position on a scale of two laps (wrap counter 1 first), where distances are taken modulo. */
  private lap(position: number, wrap: boolean): number {
    return wrap ? position : position + this.size;
  }

  /** Positions from `from` forward to `to` on the two-lap scale. */
  private distance(from: number, to: number): number {
    return (to - from + 2 * this.size) % (2 * this.size);
  }
}
