import { describe, expect, it } from "vitest";
import { VirtioRingBrokenError, VirtioUsageError } from "../../drivers/virtio/errors";
import { PackedVirtqueue } from "../../drivers/virtio/ring/packed";
import { packedRingLayout } from "../../drivers/virtio/ring/packed-layout";
import { Completion, type VirtqueueOptions } from "../../drivers/virtio/ring/virtqueue";
import { medianHeapGrowth, NO_ALLOCATION_BYTES } from "../harness/heap-growth";
import { underMutationTesting } from "../harness/mutation-testing";
import { SimMachine } from "../sim/machine";

/*
 * The packed ring against a device peer written here from virtio 1.2 section 2.8 (device side:
 * reads available descriptors at its own position and wrap counter, writes used descriptors,
 * reads the driver's event suppression, writes its own). The peer never imports driver formats.
 */

const DESC_SIZE = 16;
const F_NEXT = 1;
const F_WRITE = 2;
const F_INDIRECT = 4;
const F_AVAIL = 1 << 7;
const F_USED = 1 << 15;
const EVENT_ENABLE = 0;
const EVENT_DISABLE = 1;
const EVENT_DESC = 2;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`device peer: ${what}`);
}

interface Buffer {
  readonly addr: number;
  readonly len: number;
  readonly write: boolean;
}
interface Taken {
  readonly id: number;
  readonly slots: number;
  readonly buffers: Buffer[];
  readonly headFlags: number;
  readonly indirect: boolean;
}

class PackedPeer {
  nextAvail = 0;
  availWrap = 1;
  nextUsed = 0;
  usedWrap = 1;
  /** Wrap counter flips seen on the used side. */
  usedLaps = 0;
  private readonly ring: DataView;
  private readonly driverEvent: DataView;
  private readonly deviceEvent: DataView;

  constructor(
    private readonly machine: SimMachine,
    queue: PackedVirtqueue<number>,
  ) {
    const a = queue.addresses;
    this.ring = machine.memory.dataView(a.descriptorArea, queue.size * DESC_SIZE) as DataView;
    this.driverEvent = machine.memory.dataView(a.driverArea, 4) as DataView;
    this.deviceEvent = machine.memory.dataView(a.deviceArea, 4) as DataView;
    expect(a.descriptorArea % 16).toBe(0);
    expect(a.driverArea % 4).toBe(0);
    expect(a.deviceArea % 4).toBe(0);
    this.size = queue.size;
  }
  readonly size: number;

  flagsAt(slot: number): number {
    return this.ring.getUint16(slot * DESC_SIZE + 14, true);
  }

  isAvailable(slot: number, wrap: number): boolean {
    const flags = this.flagsAt(slot);
    return ((flags & F_AVAIL) !== 0 ? 1 : 0) === wrap && ((flags & F_USED) !== 0 ? 1 : 0) !== wrap;
  }

  /** The next available buffer, walking its chain (bounded by the ring size). */
  take(): Taken | undefined {
    if (!this.isAvailable(this.nextAvail, this.availWrap)) return undefined;
    const buffers: Buffer[] = [];
    let slot = this.nextAvail;
    let wrap = this.availWrap;
    let slots = 0;
    const headFlags = this.flagsAt(slot);
    let id = 0;
    let indirect = false;
    for (;;) {
      check(this.isAvailable(slot, wrap), `chain slot ${slot} not available`);
      const at = slot * DESC_SIZE;
      const flags = this.flagsAt(slot);
      const addr = this.ring.getUint32(at, true) + this.ring.getUint32(at + 4, true) * 2 ** 32;
      const len = this.ring.getUint32(at + 8, true);
      id = this.ring.getUint16(at + 12, true);
      if (flags & F_INDIRECT) {
        check((flags & F_NEXT) === 0, "INDIRECT with NEXT");
        indirect = true;
        const table = this.machine.memory.dataView(addr, len) as DataView;
        check(len % DESC_SIZE === 0, "indirect table length");
        for (let e = 0; e < len / DESC_SIZE; e++) {
          const f = table.getUint16(e * DESC_SIZE + 14, true);
          check((f & ~F_WRITE) === 0, "flags other than WRITE in an indirect table");
          buffers.push({ addr: table.getUint32(e * DESC_SIZE, true), len: table.getUint32(e * DESC_SIZE + 8, true), write: (f & F_WRITE) !== 0 });
        }
      } else {
        buffers.push({ addr, len, write: (flags & F_WRITE) !== 0 });
      }
      slots++;
      slot++;
      if (slot === this.size) {
        slot = 0;
        wrap ^= 1;
      }
      if ((flags & F_NEXT) === 0) break;
      check(slots < this.size, "chain longer than the ring");
    }
    this.nextAvail = slot;
    this.availWrap = wrap;
    return { id, slots, buffers, headFlags, indirect };
  }

  /** Writes a used descriptor for buffer `id` at the used position and skips `slots`. */
  use(id: number, len: number, slots: number): void {
    const at = this.nextUsed * DESC_SIZE;
    this.ring.setUint16(at + 12, id, true);
    this.ring.setUint32(at + 8, len, true);
    this.ring.setUint16(at + 14, this.usedWrap === 1 ? F_AVAIL | F_USED : 0, true);
    this.nextUsed += slots;
    if (this.nextUsed >= this.size) {
      this.nextUsed -= this.size;
      this.usedWrap ^= 1;
      this.usedLaps++;
    }
  }

  setDeviceEvent(flags: number, off = 0, wrap = 0): void {
    this.deviceEvent.setUint16(0, off | (wrap << 15), true);
    this.deviceEvent.setUint16(2, flags, true);
  }

  driverEventFlags(): number {
    return this.driverEvent.getUint16(2, true);
  }

  driverEventDesc(): { off: number; wrap: number } {
    const v = this.driverEvent.getUint16(0, true);
    return { off: v & 0x7fff, wrap: v >>> 15 };
  }
}

interface Setup {
  machine: SimMachine;
  queue: PackedVirtqueue<number>;
  peer: PackedPeer;
  notified: number[];
  told: VirtioRingBrokenError[];
}

function setup(size: number, options: Partial<VirtqueueOptions> = {}): Setup {
  const machine = new SimMachine();
  const notified: number[] = [];
  const queue = new PackedVirtqueue<number>(machine, { notify: (i) => notified.push(i) }, {
    deviceName: "test",
    index: 0,
    size,
    eventIdx: false,
    inOrder: false,
    indirectEntries: 0,
    ...options,
  });
  const told: VirtioRingBrokenError[] = [];
  queue.onBroken = (e) => told.push(e);
  return { machine, queue, peer: new PackedPeer(machine, queue), notified, told };
}

const BUF = 0x1000_0000;

function post(queue: PackedVirtqueue<number>, token: number, readable: number, writable: number, length = 64): boolean {
  queue.begin();
  for (let i = 0; i < readable; i++) queue.addReadable(BUF + token * 0x1000 + i * 0x100, length);
  for (let i = 0; i < writable; i++) queue.addWritable(BUF + token * 0x1000 + (readable + i) * 0x100, length);
  return queue.publish(token);
}

function takeAll(queue: PackedVirtqueue<number>): [number, number][] {
  const out: [number, number][] = [];
  queue.poll((t, l) => out.push([t, l]));
  return out;
}

describe("packed virtqueue", () => {
  it("fills a ring whose size is not a power of two, refuses more, and drains back to empty", () => {
    const { queue, peer, told } = setup(6);
    for (let t = 0; t < 6; t++) expect(post(queue, t, 0, 1)).toBe(true);
    expect(queue.freeCount).toBe(0);
    expect(post(queue, 6, 0, 1)).toBe(false);
    expect(queue.inFlightCount).toBe(6);
    expect(queue.nextCompletion()).toBe(Completion.None);
    for (let t = 0; t < 6; t++) {
      const b = peer.take() as Taken;
      expect(b.buffers).toEqual([{ addr: BUF + t * 0x1000, len: 64, write: true }]);
      peer.use(b.id, 10 + t, b.slots);
    }
    expect(peer.take()).toBeUndefined();
    expect(takeAll(queue)).toEqual([0, 1, 2, 3, 4, 5].map((t) => [t, 10 + t]));
    expect(queue.freeCount).toBe(6);
    expect(queue.inFlightCount).toBe(0);
    expect(queue.broken).toBeUndefined();
    expect(told).toEqual([]);
  });

  it("keeps both wrap counters in step over 70,000 round trips of mixed chain lengths", () => {
    const { queue, peer, told } = setup(7);
    let sent = 0;
    let done = 0;
    let pending: Taken[] = [];
    for (let round = 0; round < 70_000; round++) {
      const chain = 1 + (round % 3);
      while (post(queue, sent, 1, chain - 1, 32)) sent++;
      for (let b = peer.take(); b !== undefined; b = peer.take()) pending.push(b);
      // Return them in reverse to exercise out-of-order use and skipping by chain length.
      if (round % 2 === 1) pending = pending.reverse();
      const n = 1 + (round % pending.length);
      for (const b of pending.slice(0, n)) peer.use(b.id, b.buffers.filter((x) => x.write).length * 32, b.slots);
      pending = pending.slice(n);
      let odd = 0;
      done += queue.poll((_t, length) => (odd += length % 32));
      check(odd === 0, "length");
    }
    expect(told).toEqual([]);
    expect(done).toBeGreaterThanOrEqual(70_000);
    expect(peer.usedLaps).toBeGreaterThan(10_000);
    expect(queue.inFlightCount).toBe(sent - done);
  });

  it("chains with NEXT, the id in every descriptor, the head handed over last", () => {
    const { queue, peer } = setup(8);
    queue.begin();
    queue.addReadable(0x5000, 16);
    queue.addWritable(0x6000, 512);
    queue.addWritable(0x7000, 1);
    expect([0, 1, 2].some((slot) => peer.isAvailable(slot, 1))).toBe(false);
    expect(queue.publish(42)).toBe(true);
    const b = peer.take() as Taken;
    expect(b.slots).toBe(3);
    expect(b.buffers).toEqual([
      { addr: 0x5000, len: 16, write: false },
      { addr: 0x6000, len: 512, write: true },
      { addr: 0x7000, len: 1, write: true },
    ]);
    expect(b.headFlags & F_NEXT).toBe(F_NEXT);
    expect(peer.flagsAt(2) & F_NEXT).toBe(0);
    peer.use(b.id, 513, b.slots);
    expect(queue.nextCompletion()).toBe(Completion.Taken);
    expect([queue.completedToken, queue.completedLength]).toEqual([42, 513]);
  });

  it("writes each descriptor of a chain that crosses the end of the ring with its own lap's flags", () => {
    const { queue, peer } = setup(4);
    for (let t = 0; t < 3; t++) expect(post(queue, t, 0, 1)).toBe(true);
    for (let t = 0; t < 3; t++) {
      const b = peer.take() as Taken;
      peer.use(b.id, 0, b.slots);
    }
    expect(takeAll(queue).length).toBe(3);
    expect(post(queue, 9, 1, 2)).toBe(true);
    // Slot 3 in the first lap (AVAIL=1, USED=0), slots 0 and 1 in the second (AVAIL=0, USED=1).
    expect(peer.flagsAt(3) & (F_AVAIL | F_USED)).toBe(F_AVAIL);
    expect(peer.flagsAt(0) & (F_AVAIL | F_USED)).toBe(F_USED);
    expect(peer.flagsAt(1) & (F_AVAIL | F_USED)).toBe(F_USED);
    const b = peer.take() as Taken;
    expect(b.slots).toBe(3);
    expect(peer.availWrap).toBe(0);
    peer.use(b.id, 128, b.slots);
    expect(takeAll(queue)).toEqual([[9, 128]]);
  });

  it("drops an aborted chain without leaving any descriptor of it available", () => {
    const { queue, peer } = setup(4);
    queue.begin();
    queue.addReadable(0x5000, 16);
    queue.addReadable(0x5100, 16);
    queue.addReadable(0x5200, 16);
    queue.abort();
    expect(queue.publish(1)).toBe(false);
    expect(post(queue, 2, 0, 1)).toBe(true);
    const b = peer.take() as Taken;
    expect(b.buffers).toEqual([{ addr: BUF + 2 * 0x1000, len: 64, write: true }]);
    expect(peer.take()).toBeUndefined();
    expect(queue.freeCount).toBe(3);
  });

  it("refuses a chain longer than the free slots, leaving the ring untouched", () => {
    const { queue, peer } = setup(4);
    expect(post(queue, 0, 1, 1)).toBe(true);
    expect(post(queue, 1, 2, 1)).toBe(false);
    expect(queue.freeCount).toBe(2);
    expect(post(queue, 2, 1, 1)).toBe(true);
    expect(peer.take()?.slots).toBe(2);
    expect(peer.take()?.slots).toBe(2);
    expect(peer.take()).toBeUndefined();
  });

  it("puts chains in indirect tables (one slot each), single buffers directly", () => {
    const { queue, peer } = setup(4, { indirectEntries: 4 });
    expect(queue.maxChainLength).toBe(4);
    expect(post(queue, 0, 1, 3)).toBe(true);
    expect(post(queue, 1, 0, 1)).toBe(true);
    expect(post(queue, 2, 2, 3)).toBe(false);
    expect(queue.freeCount).toBe(2);
    const a = peer.take() as Taken;
    expect(a.indirect).toBe(true);
    expect(a.slots).toBe(1);
    expect(a.buffers.map((b) => b.write)).toEqual([false, true, true, true]);
    const b = peer.take() as Taken;
    expect(b.indirect).toBe(false);
    expect(b.buffers).toEqual([{ addr: BUF + 0x1000, len: 64, write: true }]);
    peer.use(b.id, 64, 1);
    peer.use(a.id, 192, 1);
    expect(takeAll(queue)).toEqual([
      [1, 64],
      [0, 192],
    ]);
  });

  it("skips by the chain length of each returned id when buffers come back out of order", () => {
    const { queue, peer } = setup(8);
    expect(post(queue, 0, 1, 2)).toBe(true);
    expect(post(queue, 1, 0, 1)).toBe(true);
    expect(post(queue, 2, 1, 1)).toBe(true);
    const a = peer.take() as Taken;
    const b = peer.take() as Taken;
    const c = peer.take() as Taken;
    peer.use(c.id, 64, c.slots);
    peer.use(a.id, 100, a.slots);
    peer.use(b.id, 1, b.slots);
    expect(takeAll(queue)).toEqual([
      [2, 64],
      [0, 100],
      [1, 1],
    ]);
    expect(queue.freeCount).toBe(8);
  });

  it("in order, takes one used descriptor as every buffer up to its id; skipped ones were used completely", () => {
    const { queue, peer, told } = setup(8, { inOrder: true });
    for (let t = 0; t < 4; t++) expect(post(queue, t, t === 1 ? 1 : 0, t === 1 ? 0 : 1, 100)).toBe(true);
    const taken = [0, 1, 2, 3].map(() => peer.take() as Taken);
    // One used descriptor for the first three, at the first one's position, skipping all three.
    peer.use(taken[2].id, 7, taken[0].slots + taken[1].slots + taken[2].slots);
    expect(takeAll(queue)).toEqual([
      [0, 100],
      [1, 0],
      [2, 7],
    ]);
    expect(queue.hasCompletions()).toBe(false);
    peer.use(taken[3].id, 5, taken[3].slots);
    expect(takeAll(queue)).toEqual([[3, 5]]);
    expect(told).toEqual([]);
    expect(queue.freeCount).toBe(8);
  });

  it("in order, keeps batching across wrap flips for 70,000 buffers", () => {
    const { queue, peer, told } = setup(5, { inOrder: true });
    const tokenOf = (b: Taken): number => (b.buffers[0].addr - BUF) / 0x1000;
    let sent = 0;
    let done = 0;
    for (let round = 0; done < 70_000; round++) {
      while (post(queue, sent, 0, 1, 8)) sent++;
      const taken: Taken[] = [];
      for (let b = peer.take(); b !== undefined; b = peer.take()) taken.push(b);
      // Two batches: one used descriptor each, at the batch's first position, naming its last id.
      const cut = 1 + (round % taken.length);
      const expected = new Map<number, number>();
      for (const batch of [taken.slice(0, cut), taken.slice(cut)]) {
        if (batch.length === 0) continue;
        const last = batch[batch.length - 1];
        for (const b of batch) expected.set(tokenOf(b), b === last ? 3 : 8);
        peer.use(last.id, 3, batch.length);
      }
      queue.poll((token, length) => {
        check(token === done && length === expected.get(token), `token ${token} length ${length}`);
        done++;
      });
    }
    expect(told).toEqual([]);
    expect(queue.inFlightCount).toBe(0);
    expect(peer.usedLaps).toBeGreaterThan(10_000);
  });

  describe("notifications (device event suppression)", () => {
    it("notifies under ENABLE, never under DISABLE", () => {
      const { queue, peer, notified } = setup(8);
      post(queue, 0, 0, 1);
      expect(queue.kick()).toBe(true);
      expect(queue.kick()).toBe(false);
      peer.setDeviceEvent(EVENT_DISABLE);
      post(queue, 1, 0, 1);
      expect(queue.kick()).toBe(false);
      peer.setDeviceEvent(EVENT_ENABLE);
      post(queue, 2, 0, 1);
      expect(queue.kick()).toBe(true);
      expect(notified).toEqual([0, 0]);
      expect(queue.notifications).toBe(2);
    });

    it("with EVENT_IDX notifies only when the named slot at the named wrap was made available", () => {
      const { queue, peer } = setup(4, { eventIdx: true });
      peer.setDeviceEvent(EVENT_DESC, 2, 1);
      post(queue, 0, 0, 1);
      expect(queue.kick()).toBe(false); // slot 0 only
      post(queue, 1, 0, 1);
      post(queue, 2, 0, 1);
      expect(queue.kick()).toBe(true); // slots 1..2 include 2
      for (let b = peer.take(); b !== undefined; b = peer.take()) peer.use(b.id, 0, b.slots);
      takeAll(queue);
      // Next: slot 1 in the second lap (wrap 0). Slot 3 (lap 1), then slot 0 (lap 2) do not reach it.
      peer.setDeviceEvent(EVENT_DESC, 1, 0);
      post(queue, 3, 0, 1);
      expect(queue.kick()).toBe(false);
      post(queue, 4, 0, 1);
      expect(queue.kick()).toBe(false);
      post(queue, 5, 0, 1);
      expect(queue.kick()).toBe(true);
      // An event left behind in the previous lap is not crossed again.
      for (let b = peer.take(); b !== undefined; b = peer.take()) peer.use(b.id, 0, b.slots);
      takeAll(queue);
      peer.setDeviceEvent(EVENT_DESC, 3, 1);
      post(queue, 6, 0, 1);
      expect(queue.kick()).toBe(false);
    });

    it("treats DESC as ENABLE when EVENT_IDX was not negotiated", () => {
      const { queue, peer } = setup(4);
      peer.setDeviceEvent(EVENT_DESC, 3, 1);
      post(queue, 0, 0, 1);
      expect(queue.kick()).toBe(true);
    });
  });

  describe("interrupts (driver event suppression)", () => {
    it("writes DISABLE, then ENABLE on re-enable", () => {
      const { queue, peer } = setup(4);
      expect(peer.driverEventFlags()).toBe(EVENT_ENABLE);
      queue.disableInterrupts();
      expect(peer.driverEventFlags()).toBe(EVENT_DISABLE);
      expect(queue.enableInterrupts()).toBe(false);
      expect(peer.driverEventFlags()).toBe(EVENT_ENABLE);
    });

    it("with EVENT_IDX re-enables with DESC naming the next used slot and wrap", () => {
      const { queue, peer } = setup(3, { eventIdx: true });
      for (let t = 0; t < 4; t++) {
        post(queue, t, 0, 1);
        const b = peer.take() as Taken;
        peer.use(b.id, 0, b.slots);
        queue.disableInterrupts();
        expect(peer.driverEventFlags()).toBe(EVENT_DISABLE);
        expect(queue.enableInterrupts()).toBe(true);
        takeAll(queue);
        expect(queue.enableInterrupts()).toBe(false);
        expect(peer.driverEventFlags()).toBe(EVENT_DESC);
        expect(peer.driverEventDesc()).toEqual({ off: (t + 1) % 3, wrap: t + 1 >= 3 ? 0 : 1 });
      }
    });

    it("drain goes round again when a completion lands during the re-enable", () => {
      const { queue, peer } = setup(4);
      post(queue, 0, 0, 1);
      post(queue, 1, 0, 1);
      const a = peer.take() as Taken;
      const b = peer.take() as Taken;
      peer.use(a.id, 1, 1);
      let calls = 0;
      const taken = queue.drain(() => {
        const n = takeAll(queue).length;
        if (calls++ === 0) peer.use(b.id, 2, 1);
        return n;
      });
      expect(taken).toBe(2);
      expect(peer.driverEventFlags()).toBe(EVENT_ENABLE);
    });
  });

  describe("device misbehaviour", () => {
    function brokenBy(act: (s: Setup) => void, code: string): Setup {
      const s = setup(4);
      post(s.queue, 0, 0, 1, 16);
      post(s.queue, 1, 1, 1, 16);
      act(s);
      expect(s.queue.nextCompletion()).toBe(Completion.Broken);
      expect(s.queue.nextCompletion()).toBe(Completion.Broken);
      expect(s.queue.broken).toBeInstanceOf(VirtioRingBrokenError);
      expect(s.queue.broken?.code).toBe(code);
      expect(s.told.map((e) => e.code)).toEqual([code]);
      expect(() => s.queue.begin()).toThrow(VirtioRingBrokenError);
      expect(() => s.queue.kick()).toThrow(VirtioRingBrokenError);
      expect(s.queue.hasCompletions()).toBe(false);
      return s;
    }

    it("breaks on a used id out of range", () => {
      brokenBy(({ peer }) => peer.use(4, 0, 1), "used-id");
    });

    it("breaks on a used id not in flight (a repeat)", () => {
      brokenBy(({ queue, peer }) => {
        const a = peer.take() as Taken;
        peer.use(a.id, 0, 1);
        expect(queue.nextCompletion()).toBe(Completion.Taken);
        peer.use(a.id, 0, 1);
      }, "used-id");
    });

    it("breaks on a used descriptor while nothing is in flight", () => {
      const s = setup(4);
      post(s.queue, 0, 0, 1);
      const a = s.peer.take() as Taken;
      s.peer.use(a.id, 0, 1);
      expect(takeAll(s.queue)).toEqual([[0, 0]]);
      s.peer.use(a.id, 0, 1);
      expect(s.queue.nextCompletion()).toBe(Completion.Broken);
      expect(s.queue.broken).toMatchObject({ code: "used-ahead", detail: "queue 0: used descriptor at 1 with nothing in flight" });
      expect(s.told.length).toBe(1);
    });

    it("clamps and counts a length beyond the chain's writable bytes", () => {
      const { queue, peer, told } = setup(4);
      post(queue, 0, 1, 1, 16);
      post(queue, 1, 1, 0, 16);
      const a = peer.take() as Taken;
      const b = peer.take() as Taken;
      peer.use(a.id, 17, a.slots);
      peer.use(b.id, 1, b.slots);
      expect(takeAll(queue)).toEqual([
        [0, 16],
        [1, 0],
      ]);
      expect(queue.lengthClamps).toBe(2);
      expect(told).toEqual([]);
    });

    it("ignores descriptors still marked available or used in an earlier lap", () => {
      const { queue, peer } = setup(2);
      post(queue, 0, 0, 1);
      post(queue, 1, 0, 1);
      // A used descriptor written with the wrong wrap counter is not a used one.
      const a = peer.take() as Taken;
      peer.usedWrap = 0;
      peer.use(a.id, 0, 1);
      expect(queue.nextCompletion()).toBe(Completion.None);
      expect(queue.broken).toBeUndefined();
    });
  });

  it("rejects a size out of 1..32768 and frees its memory on destroy", () => {
    expect(() => setup(0)).toThrow(/size 0/);
    expect(() => setup(32769)).toThrow(/size 32769/);
    const { queue, machine } = setup(32768, { indirectEntries: 2 });
    expect(machine.memory.bytes(queue.addresses.descriptorArea, 16)).toBeDefined();
    queue.destroy();
    expect(machine.memory.bytes(queue.addresses.descriptorArea, 16)).toBeUndefined();
    expect(queue.broken?.code).toBe("queue-released");
  });

  it.skipIf(underMutationTesting)("submits, kicks and completes without allocating", () => {
    // The test plays the device with raw writes (the peer above allocates), one single-buffer chain
    // at a time over a 250-slot ring, so both wrap counters flip every 250 round trips; the device
    // asks for no notifications (RING_EVENT_FLAGS_DISABLE).
    const size = 250;
    const { machine, queue, notified } = setup(size);
    const ring = machine.memory.dataView(queue.addresses.descriptorArea, size * DESC_SIZE) as DataView;
    const deviceEvent = machine.memory.dataView(queue.addresses.deviceArea, 4) as DataView;
    deviceEvent.setUint16(2, EVENT_DISABLE, true);
    let slot = 0;
    let wrap = 1;
    const cycle = (count: number) => {
      for (let i = 0; i < count; i++) {
        queue.begin();
        queue.addWritable(BUF, 16);
        queue.publish(i);
        queue.kick();
        const at = slot * DESC_SIZE;
        ring.setUint32(at + 8, 16, true);
        ring.setUint16(at + 14, wrap === 1 ? F_AVAIL | F_USED : 0, true);
        if (++slot === size) {
          slot = 0;
          wrap ^= 1;
        }
        if (queue.nextCompletion() !== Completion.Taken || queue.completedToken !== i) throw new Error("completion lost");
      }
    };
    expect(medianHeapGrowth(cycle)).toBeLessThan(NO_ALLOCATION_BYTES);
    expect(queue.broken).toBeUndefined();
    expect(notified).toEqual([]);
  });
});

function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("packed virtqueue: building chains", () => {
  it("refuses a buffer added without begin as a usage error, on a new queue too", () => {
    const { queue, peer } = setup(4);
    for (const add of [() => queue.addReadable(BUF, 16), () => queue.addWritable(BUF, 16)]) {
      const error = thrown(add);
      expect(error).toBeInstanceOf(VirtioUsageError);
      expect(error).toMatchObject({ code: "chain-state", detail: "queue 0: add without begin" });
    }
    expect(peer.take()).toBeUndefined();
    expect(queue.freeCount).toBe(4);
  });

  it("refuses a readable buffer after a writable one as a usage error and drops the chain", () => {
    const { queue, peer } = setup(4);
    queue.begin();
    queue.addReadable(BUF, 16);
    queue.addWritable(BUF + 0x100, 16);
    const error = thrown(() => queue.addReadable(BUF + 0x200, 16));
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ code: "chain-order", detail: "queue 0: readable buffer after a writable one" });
    expect(queue.publish(1)).toBe(false);
    expect(peer.take()).toBeUndefined();
    expect(queue.inFlightCount).toBe(0);
    expect(queue.freeCount).toBe(4);
  });

  it("refuses an empty chain, handing nothing over", () => {
    const { queue, peer } = setup(4);
    queue.begin();
    expect(queue.publish(1)).toBe(false);
    expect(queue.inFlightCount).toBe(0);
    expect(queue.freeCount).toBe(4);
    expect(peer.take()).toBeUndefined();
    expect(post(queue, 2, 0, 1)).toBe(true);
    expect(peer.take()?.buffers).toEqual([{ addr: BUF + 2 * 0x1000, len: 64, write: true }]);
  });

  it("with indirect tables, refuses a chain once every slot holds one, until one comes back", () => {
    const { queue, peer, told } = setup(3, { indirectEntries: 4 });
    expect(post(queue, 0, 1, 1)).toBe(true);
    expect(post(queue, 1, 1, 2)).toBe(true);
    expect(post(queue, 2, 0, 2)).toBe(true);
    expect(queue.freeCount).toBe(0);
    expect(post(queue, 3, 1, 1)).toBe(false);
    expect(post(queue, 4, 0, 1)).toBe(false);
    expect(queue.inFlightCount).toBe(3);
    const taken = [0, 1, 2].map(() => peer.take() as Taken);
    expect(peer.take()).toBeUndefined();
    expect(taken.map((b) => b.buffers.length)).toEqual([2, 3, 2]);
    peer.use(taken[1].id, 2, 1);
    expect(takeAll(queue)).toEqual([[1, 2]]);
    expect(post(queue, 5, 1, 2)).toBe(true);
    const c = peer.take() as Taken;
    expect(c.indirect).toBe(true);
    expect(c.buffers.map((x) => x.addr)).toEqual([BUF + 0x5000, BUF + 0x5100, BUF + 0x5200]);
    expect(told).toEqual([]);
  });

  it("accepts chains as long as its indirect tables, or its ring without them", () => {
    expect(setup(8).queue.maxChainLength).toBe(8);
    expect(setup(8, { indirectEntries: 3 }).queue.maxChainLength).toBe(3);
    // A table of one entry would hold nothing a direct descriptor cannot: no tables then.
    const { queue, peer } = setup(8, { indirectEntries: 1 });
    expect(queue.maxChainLength).toBe(8);
    expect(post(queue, 0, 1, 2)).toBe(true);
    const b = peer.take() as Taken;
    expect([b.indirect, b.slots, b.buffers.length]).toEqual([false, 3, 3]);
  });

  it("writes addresses above 4 GiB whole, also for a single buffer taken out of its indirect table", () => {
    const high = 0x3_2100_4000;
    for (const indirectEntries of [0, 4]) {
      const { queue, peer } = setup(4, { indirectEntries });
      queue.begin();
      queue.addWritable(high, 32);
      expect(queue.publish(0)).toBe(true);
      expect((peer.take() as Taken).buffers).toEqual([{ addr: high, len: 32, write: true }]);
    }
  });
});

describe("packed virtqueue: size and memory", () => {
  it("runs a ring of a single descriptor, both wrap counters flipping on every round trip", () => {
    const { queue, peer, told } = setup(1);
    for (let t = 0; t < 5; t++) {
      expect(post(queue, t, 0, 1)).toBe(true);
      expect(post(queue, 99, 0, 1)).toBe(false);
      const b = peer.take() as Taken;
      peer.use(b.id, t, b.slots);
      expect(takeAll(queue)).toEqual([[t, t]]);
    }
    expect(peer.usedLaps).toBe(5);
    expect(told).toEqual([]);
  });

  it("names the size it refuses in a usage error", () => {
    for (const size of [0, 32769, 2.5]) {
      const error = thrown(() => setup(size));
      expect(error).toBeInstanceOf(VirtioUsageError);
      expect(error).toMatchObject({ code: "queue-size", detail: `queue 0: size ${size} is not in 1..32768` });
    }
  });

  it("lays out the descriptor ring, then the driver's and the device's event suppression, in one area", () => {
    expect(packedRingLayout(1)).toEqual({ desc: 0, driverEvent: 16, deviceEvent: 20, totalSize: 24 });
    expect(packedRingLayout(3)).toEqual({ desc: 0, driverEvent: 48, deviceEvent: 52, totalSize: 56 });
    const { queue } = setup(3);
    expect(queue.addresses.driverArea - queue.addresses.descriptorArea).toBe(48);
    expect(queue.addresses.deviceArea - queue.addresses.descriptorArea).toBe(52);
  });

  it("frees the ring and the indirect tables on destroy, once however often it is called", () => {
    for (const indirectEntries of [0, 4]) {
      const { machine, queue, peer } = setup(4, { indirectEntries });
      expect(post(queue, 0, 1, 1)).toBe(true);
      const ring = machine.memory.dataView(queue.addresses.descriptorArea, 16) as DataView;
      const table = ring.getUint32(0, true);
      expect(peer.take()?.indirect).toBe(indirectEntries > 0);
      if (indirectEntries > 0) expect(machine.memory.bytes(table, 16)).toBeDefined();
      queue.destroy();
      queue.destroy();
      expect(machine.memory.bytes(queue.addresses.descriptorArea, 16)).toBeUndefined();
      if (indirectEntries > 0) expect(machine.memory.bytes(table, 16)).toBeUndefined();
      expect(queue.broken).toMatchObject({ code: "queue-released", detail: "queue 0 was torn down" });
    }
  });
});

describe("packed virtqueue: EVENT_IDX across laps", () => {
  it("notifies when the slot the device named, in the lap before, was passed since the last kick", () => {
    const { queue, peer } = setup(4, { eventIdx: true });
    for (let t = 0; t < 3; t++) post(queue, t, 0, 1);
    expect(queue.kick()).toBe(true);
    for (let b = peer.take(); b !== undefined; b = peer.take()) peer.use(b.id, 0, b.slots);
    takeAll(queue);
    // Slot 3 of the first lap; the next two buffers take it and slot 0 of the second lap.
    peer.setDeviceEvent(EVENT_DESC, 3, 1);
    post(queue, 3, 0, 1);
    post(queue, 4, 0, 1);
    expect(queue.kick()).toBe(true);
  });

  it("after exactly a lap, does not take a slot named in the lap ahead for one passed", () => {
    const { queue, peer, notified } = setup(4, { eventIdx: true });
    peer.setDeviceEvent(EVENT_DESC, 2, 0);
    for (let t = 0; t < 4; t++) post(queue, t, 0, 1);
    expect(queue.kick()).toBe(false);
    for (let b = peer.take(); b !== undefined; b = peer.take()) peer.use(b.id, 0, b.slots);
    takeAll(queue);
    for (let t = 4; t < 7; t++) post(queue, t, 0, 1);
    expect(queue.kick()).toBe(true);
    expect(notified).toEqual([0]);
  });

  it("notifies after more than a lap since the last kick, whatever slot the device named", () => {
    const { queue, peer, notified } = setup(2, { eventIdx: true });
    // Slot 1 of the first lap: passed in the first lap, and again (same wrap) in the third.
    peer.setDeviceEvent(EVENT_DESC, 1, 1);
    for (let t = 0; t < 4; t += 2) {
      post(queue, t, 0, 1);
      post(queue, t + 1, 0, 1);
      for (let b = peer.take(); b !== undefined; b = peer.take()) peer.use(b.id, 0, b.slots);
      expect(takeAll(queue).length).toBe(2);
    }
    post(queue, 4, 0, 1);
    expect(queue.kick()).toBe(true);
    expect(notified).toEqual([0]);
  });
});

describe("packed virtqueue: broken", () => {
  it("writes nothing more to its event suppression once broken, and reports nothing waiting", () => {
    for (const eventIdx of [false, true]) {
      for (const disabledBefore of [false, true]) {
        const { queue, peer, told } = setup(4, { eventIdx });
        post(queue, 0, 0, 1);
        if (disabledBefore) queue.disableInterrupts();
        const flags = peer.driverEventFlags();
        const desc = peer.driverEventDesc();
        peer.use(3, 0, 1);
        expect(queue.nextCompletion()).toBe(Completion.Broken);
        queue.disableInterrupts();
        expect(queue.enableInterrupts()).toBe(false);
        expect(peer.driverEventFlags()).toBe(flags);
        expect(peer.driverEventDesc()).toEqual(desc);
        expect(told.map((e) => e.code)).toEqual(["used-id"]);
      }
    }
  });

  it("refuses kicks and chains once broken, also with nothing published since the last kick", () => {
    const { queue, peer, told } = setup(4);
    post(queue, 0, 0, 1);
    expect(queue.kick()).toBe(true);
    peer.use(3, 0, 1);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    expect(() => queue.kick()).toThrow(told[0]);
    expect(() => queue.publish(1)).toThrow(told[0]);
    queue.abort();
    expect(() => queue.begin()).toThrow(told[0]);
    expect(() => queue.addWritable(BUF, 16)).toThrow(told[0]);
  });

  it("breaks without a listener for it", () => {
    const { queue, peer } = setup(4);
    queue.onBroken = undefined;
    post(queue, 0, 0, 1);
    peer.use(3, 0, 1);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    expect(queue.broken?.code).toBe("used-id");
  });
});

describe("packed virtqueue: taking completions", () => {
  it("in order, counts the rest of a batch as waiting; poll takes no more than its limit", () => {
    const { queue, peer } = setup(8, { inOrder: true });
    for (let t = 0; t < 4; t++) post(queue, t, 0, 1);
    const taken = [0, 1, 2, 3].map(() => peer.take() as Taken);
    queue.disableInterrupts();
    peer.use(taken[3].id, 5, 4);
    const out: [number, number][] = [];
    const handler = (t: number, l: number) => out.push([t, l]);
    expect(queue.poll(handler, 1)).toBe(1);
    expect(queue.hasCompletions()).toBe(true);
    // Re-enabling says so too: a drain would otherwise stop with buffers left and no interrupt to come.
    expect(queue.enableInterrupts()).toBe(true);
    expect(queue.poll(handler, 2)).toBe(2);
    expect(queue.poll(handler, 0)).toBe(0);
    expect(queue.poll(handler)).toBe(1);
    expect(out).toEqual([
      [0, 64],
      [1, 64],
      [2, 64],
      [3, 5],
    ]);
    expect(queue.hasCompletions()).toBe(false);
  });
});
