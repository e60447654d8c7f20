import { describe, expect, it } from "vitest";
import { type VirtioRingBrokenError, VirtioUsageError } from "../../drivers/virtio/errors";
import { SplitVirtqueue, type SplitVirtqueueOptions } from "../../drivers/virtio/ring/split";
import { Completion } from "../../drivers/virtio/ring/virtqueue";
import { SimMachine } from "../sim/machine";

/*
 * The split ring's driver-side API on a bare simulated machine: how chains are built and refused,
 * the sizes and alignments it accepts, teardown, and what a broken queue still allows. The tests
 * read the rings as the device would, with offsets and flags from virtio 1.2 section 2.7.
 */
/** A split queue on a bare machine; the test reads and writes its rings as the device. */
function bare(size: number, options: Partial<SplitVirtqueueOptions> = {}, machine = new SimMachine()) {
  const queue = new SplitVirtqueue<number>(machine, { notify: () => undefined }, {
    deviceName: "test",
    index: 0,
    size,
    eventIdx: false,
    inOrder: false,
    indirectEntries: 0,
    placement: { contiguous: false, align: 16 },
    ...options,
  });
  const desc = (d: number) => {
    const view = machine.memory.dataView(queue.addresses.descriptorArea + 16 * d, 16) as DataView;
    return { addr: view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32, len: view.getUint32(8, true), flags: view.getUint16(12, true) };
  };
  const availIdx = () => (machine.memory.dataView(queue.addresses.driverArea, 4) as DataView).getUint16(2, true);
  return { machine, queue, desc, availIdx };
}

function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

const F_WRITE = 2;
const F_INDIRECT = 4;

describe("split virtqueue: building chains", () => {
  it("refuses a buffer added without begin, and a readable one after a writable one, as usage errors", () => {
    const { queue, availIdx } = bare(4);
    for (const add of [() => queue.addReadable(0x1000, 16), () => queue.addWritable(0x1000, 16)]) {
      const error = thrown(add);
      expect(error).toBeInstanceOf(VirtioUsageError);
      expect(error).toMatchObject({ code: "chain-state", detail: "queue 0: add without begin" });
    }
    queue.begin();
    queue.addReadable(0x1000, 16);
    queue.addWritable(0x2000, 16);
    const error = thrown(() => queue.addReadable(0x3000, 16));
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ code: "chain-order", detail: "queue 0: readable buffer after a writable one" });
    expect(queue.publish(1)).toBe(false);
    expect(queue.freeCount).toBe(4);
    expect(availIdx()).toBe(0);
  });

  it("refuses an empty chain, making nothing available", () => {
    const { queue, availIdx } = bare(4);
    queue.begin();
    expect(queue.publish(1)).toBe(false);
    expect([queue.inFlightCount, queue.freeCount, availIdx()]).toEqual([0, 4, 0]);
  });

  it("drops the chain being built when begin comes again, giving its descriptors back", () => {
    const { queue, desc, availIdx } = bare(4);
    queue.begin();
    for (let i = 0; i < 3; i++) queue.addWritable(0x1000 * (i + 1), 16);
    expect(queue.freeCount).toBe(1);
    queue.begin();
    expect(queue.freeCount).toBe(4);
    queue.addWritable(0x9000, 8);
    expect(queue.publish(7)).toBe(true);
    expect(queue.freeCount).toBe(3);
    expect(availIdx()).toBe(1);
    expect(desc(0)).toEqual({ addr: 0x9000, len: 8, flags: F_WRITE });
  });

  it("with indirect tables, writes a single buffer directly and a longer chain as its table, addresses above 4 GiB whole", () => {
    const high = 0x3_2100_4000;
    const { machine, queue, desc } = bare(4, { indirectEntries: 4 });
    queue.begin();
    queue.addWritable(high, 32);
    expect(queue.publish(0)).toBe(true);
    expect(desc(0)).toEqual({ addr: high, len: 32, flags: F_WRITE });
    queue.begin();
    queue.addReadable(high + 0x100, 8);
    queue.addWritable(high + 0x200, 8);
    expect(queue.publish(1)).toBe(true);
    const table = desc(1);
    expect(table.flags).toBe(F_INDIRECT);
    expect(table.len).toBe(32);
    const entry = machine.memory.dataView(table.addr + 16, 16) as DataView;
    expect(entry.getUint32(0, true) + entry.getUint32(4, true) * 2 ** 32).toBe(high + 0x200);
  });
});

describe("split virtqueue: size, memory, teardown", () => {
  it("refuses a size that is not a power of two up to 32768, naming it in a usage error", () => {
    for (const size of [0, 6, 65536]) {
      const error = thrown(() => bare(size));
      expect(error).toBeInstanceOf(VirtioUsageError);
      expect(error).toMatchObject({ code: "queue-size", detail: `queue 0: size ${size} is not a power of two <= 32768` });
    }
    expect(bare(1).queue.size).toBe(1);
    expect(bare(32768).queue.size).toBe(32768);
  });

  it("aligns a contiguous ring to its placement's alignment when that is more than a page", () => {
    const machine = new SimMachine();
    // Leave the next free page off an 8 KiB boundary.
    const page = machine.allocDma(4096);
    if ((page.physical + 4096) % 8192 === 0) machine.allocDma(4096);
    const { queue } = bare(16, { placement: { contiguous: true, align: 8192 } }, machine);
    expect(queue.addresses.descriptorArea % 8192).toBe(0);
    expect(queue.addresses.deviceArea % 8192).toBe(0);
  });

  it("frees its ring and indirect tables on destroy, once however often it is called", () => {
    const { machine, queue, desc } = bare(4, { indirectEntries: 4 });
    queue.begin();
    queue.addReadable(0x1000, 8);
    queue.addWritable(0x2000, 8);
    expect(queue.publish(0)).toBe(true);
    const table = desc(0).addr;
    expect(machine.memory.bytes(table, 32)).toBeDefined();
    queue.destroy();
    queue.destroy();
    expect(machine.memory.bytes(queue.addresses.descriptorArea, 16)).toBeUndefined();
    expect(machine.memory.bytes(table, 32)).toBeUndefined();
    expect(queue.broken).toMatchObject({ code: "queue-released", detail: "queue 0 was torn down" });
  });

  it("is broken once on the device's word: a second mark changes nothing and tells no one", () => {
    const { queue } = bare(4);
    const told: VirtioRingBrokenError[] = [];
    queue.onBroken = (e) => told.push(e);
    queue.markBroken("device-needs-reset", "the device set DEVICE_NEEDS_RESET");
    const first = queue.broken;
    expect(first).toMatchObject({ code: "device-needs-reset", detail: "queue 0: the device set DEVICE_NEEDS_RESET" });
    queue.markBroken("device-needs-reset", "again");
    queue.destroy();
    expect(queue.broken).toBe(first);
    expect(told).toEqual([first]);
  });

  it("stays broken through an abort, and refuses a kick with nothing published since the last one", () => {
    const { machine, queue } = bare(4);
    const told: VirtioRingBrokenError[] = [];
    queue.onBroken = (e) => told.push(e);
    queue.begin();
    queue.addWritable(0x1000, 16);
    expect(queue.publish(0)).toBe(true);
    expect(queue.kick()).toBe(true);
    // The device returns id 9 of a 4-entry ring.
    const used = machine.memory.dataView(queue.addresses.deviceArea, 12) as DataView;
    used.setUint32(4, 9, true);
    used.setUint16(2, 1, true);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    expect(told.map((e) => e.code)).toEqual(["used-id"]);
    expect(() => queue.kick()).toThrow(told[0]);
    queue.abort();
    expect(queue.freeCount).toBe(3);
    expect(() => queue.begin()).toThrow(told[0]);
    expect(() => queue.publish(1)).toThrow(told[0]);
    expect(queue.freeCount).toBe(3);
  });
});
