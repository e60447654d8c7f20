import { describe, expect, it } from "vitest";
import { SplitVirtqueue } from "../../drivers/virtio/ring/split";
import { Completion } from "../../drivers/virtio/ring/virtqueue";
import type { VirtioRingBrokenError } from "../../drivers/virtio/errors";
import { SimMachine } from "../sim/machine";

/*
 * VIRTIO_F_IN_ORDER on the split ring (virtio 1.2 section 2.7.10) against a device peer written
 * here from the specification: it reads the available ring and descriptor table, and may return a
 * batch of buffers with one used element naming the last one, placed where the batch's first
 * available entry was, moving used idx by the batch's size.
 */

const DESC_SIZE = 16;
const F_NEXT = 1;

class SplitPeer {
  lastAvail = 0;
  usedIdx = 0;
  private readonly desc: DataView;
  private readonly avail: DataView;
  private readonly used: DataView;

  constructor(
    machine: SimMachine,
    private readonly queue: SplitVirtqueue<number>,
  ) {
    const a = queue.addresses;
    const size = queue.size;
    this.desc = machine.memory.dataView(a.descriptorArea, size * DESC_SIZE) as DataView;
    this.avail = machine.memory.dataView(a.driverArea, 4 + 2 * size) as DataView;
    this.used = machine.memory.dataView(a.deviceArea, 4 + 8 * size) as DataView;
  }

  /** Heads made available and not yet taken, with each chain's descriptor indices. */
  take(): { head: number; descriptors: number[] }[] {
    const out: { head: number; descriptors: number[] }[] = [];
    const availIdx = this.avail.getUint16(2, true);
    while (this.lastAvail !== availIdx) {
      const head = this.avail.getUint16(4 + 2 * (this.lastAvail % this.queue.size), true);
      const descriptors = [head];
      for (let d = head; this.desc.getUint16(d * DESC_SIZE + 12, true) & F_NEXT; ) {
        d = this.desc.getUint16(d * DESC_SIZE + 14, true);
        descriptors.push(d);
      }
      out.push({ head, descriptors });
      this.lastAvail = (this.lastAvail + 1) & 0xffff;
    }
    return out;
  }

  /** One used element for a batch of `count` buffers ending with `lastHead`. */
  useBatch(lastHead: number, length: number, count: number): void {
    const at = 4 + 8 * (this.usedIdx % this.queue.size);
    this.used.setUint32(at, lastHead, true);
    this.used.setUint32(at + 4, length, true);
    this.usedIdx = (this.usedIdx + count) & 0xffff;
    this.used.setUint16(2, this.usedIdx, true);
  }
}

function setup(size: number, indirectEntries = 0) {
  const machine = new SimMachine();
  const queue = new SplitVirtqueue<number>(machine, { notify: () => undefined }, {
    deviceName: "test",
    index: 0,
    size,
    eventIdx: false,
    inOrder: true,
    indirectEntries,
    placement: { contiguous: false, align: 4096 },
  });
  const told: VirtioRingBrokenError[] = [];
  queue.onBroken = (e) => told.push(e);
  return { machine, queue, peer: new SplitPeer(machine, queue), told };
}

function post(queue: SplitVirtqueue<number>, token: number, writable: number, descriptors = 1): boolean {
  queue.begin();
  for (let i = 0; i < descriptors - 1; i++) queue.addReadable(0x1000_0000 + token * 0x100, 8);
  queue.addWritable(0x2000_0000 + token * 0x100, writable);
  return queue.publish(token);
}

describe("split virtqueue, in order", () => {
  it("hands out descriptors in ring order, each chain's next pointing at the following index", () => {
    const { queue, peer } = setup(8);
    for (let round = 0; round < 50; round++) {
      const chains: number[] = [];
      for (let t = 0; post(queue, t, 32, 1 + ((round + t) % 3)); t++) chains.push(t);
      const taken = peer.take();
      const all = taken.flatMap((c) => c.descriptors);
      for (let i = 1; i < all.length; i++) expect(all[i]).toBe((all[i - 1] + 1) % 8);
      peer.useBatch(taken[taken.length - 1].head, 32, taken.length);
      expect(queue.poll(() => undefined)).toBe(taken.length);
    }
  });

  it("takes one used element as every buffer up to its id, the skipped ones used completely", () => {
    const { queue, peer, told } = setup(8);
    for (let t = 0; t < 5; t++) expect(post(queue, t, 10 * (t + 1))).toBe(true);
    const taken = peer.take();
    peer.useBatch(taken[2].head, 7, 3);
    const out: number[][] = [];
    queue.poll((t, length) => out.push([t, length]));
    expect(out).toEqual([
      [0, 10],
      [1, 20],
      [2, 7],
    ]);
    expect(queue.hasCompletions()).toBe(false);
    peer.useBatch(taken[4].head, 1, 2);
    out.length = 0;
    queue.poll((t, length) => out.push([t, length]));
    expect(out).toEqual([
      [3, 40],
      [4, 1],
    ]);
    expect(told).toEqual([]);
    expect(queue.freeCount).toBe(8);
  });

  it("keeps batching over 70,000 buffers across the 16-bit index wrap, with indirect chains", () => {
    const { queue, peer, told } = setup(4, 3);
    let sent = 0;
    let done = 0;
    let bad = 0;
    for (let round = 0; done < 70_000; round++) {
      while (post(queue, sent, 8, 1 + (sent % 3))) sent++;
      const taken = peer.take();
      const cut = 1 + (round % taken.length);
      peer.useBatch(taken[cut - 1].head, 3, cut);
      if (cut < taken.length) peer.useBatch(taken[taken.length - 1].head, 3, taken.length - cut);
      queue.poll((token, length) => {
        if (token !== done) bad++;
        done++;
        if (length !== 3 && length !== 8) bad++;
      });
    }
    expect(bad).toBe(0);
    expect(told).toEqual([]);
    expect(queue.inFlightCount).toBe(0);
  });

  it("breaks when a used element stands for more buffers than the used index moved", () => {
    const { queue, peer, told } = setup(8);
    for (let t = 0; t < 3; t++) post(queue, t, 8);
    const taken = peer.take();
    peer.useBatch(taken[2].head, 0, 2);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    expect(told.map((e) => e.code)).toEqual(["used-batch"]);
    expect(told[0].detail).toBe("queue 0: used id 2 stands for 3 buffers, more than the 2 returned");
    // Nothing was taken: every buffer is still the device's.
    expect(queue.inFlightCount).toBe(3);
    expect(() => queue.begin()).toThrow(told[0]);
  });
});
