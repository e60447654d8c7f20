import { describe, expect, it } from "vitest";
import { FeatureBit, feature } from "../../drivers/virtio/features";
import { VirtioRingBrokenError, VirtioUsageError } from "../../drivers/virtio/errors";
import { Completion } from "../../drivers/virtio/ring/virtqueue";
import { USED_NO_NOTIFY } from "../../drivers/virtio/ring/split-format";
import { vringNeedEvent } from "../../drivers/virtio/ring/event-idx";
import { DmaSlab } from "../../kernel/dma";
import { bringUpPci } from "../harness/bring-up";
import { medianHeapGrowth, NO_ALLOCATION_BYTES } from "../harness/heap-growth";
import { underMutationTesting } from "../harness/mutation-testing";
import { assertNoViolations } from "../sim/violations";
import { BlkModel, BlkRequestType, BlkStatus, SECTOR_SIZE } from "../sim/virtio/blk-model";
import { RngModel } from "../sim/virtio/rng-model";

const EVENT_IDX = feature(FeatureBit.EventIdx);
const INDIRECT = feature(FeatureBit.IndirectDesc);

function rng(features = 0n, queueSize = 8, pci = {}) {
  const up = bringUpPci((m, v) => new RngModel(m, v, queueSize), { features, pci });
  const slab = new DmaSlab(up.machine, queueSize * 2, 16);
  return { ...up, queue: up.queues[0], slab };
}

function postWritable(q: ReturnType<typeof rng>["queue"], slab: DmaSlab, slot: number): boolean {
  q.begin();
  q.addWritable(slab.physical(slot), slab.slotSize);
  return q.publish(slot);
}

describe("vringNeedEvent", () => {
  it("matches the spec formula including at the u16 wrap", () => {
    expect(vringNeedEvent(0, 1, 0)).toBe(true);
    expect(vringNeedEvent(1, 1, 0)).toBe(false);
    expect(vringNeedEvent(0xffff, 0, 0xfffe)).toBe(true);
    expect(vringNeedEvent(0xfffe, 0, 0xffff)).toBe(false);
    expect(vringNeedEvent(0xfffd, 2, 0xfffc)).toBe(true);
    expect(vringNeedEvent(3, 2, 0xfffc)).toBe(false);
    expect(vringNeedEvent(1, 2, 0xfffc)).toBe(true);
  });
});

describe("split virtqueue", () => {
  it("fills up, refuses more without throwing, and drains back to empty", () => {
    const { machine, model, queue, slab } = rng(0n, 8);
    model.holdCompletions = true;
    for (let i = 0; i < 8; i++) expect(postWritable(queue, slab, i)).toBe(true);
    expect(queue.freeCount).toBe(0);
    expect(postWritable(queue, slab, 8)).toBe(false);
    expect(queue.inFlightCount).toBe(8);
    expect(queue.kick()).toBe(true);
    expect(queue.kick()).toBe(false);
    expect(queue.nextCompletion()).toBe(Completion.None);
    model.releaseHeld(0);
    const tokens: number[] = [];
    expect(queue.poll((t, len) => tokens.push(t * 100 + len))).toBe(8);
    expect(tokens).toEqual([16, 116, 216, 316, 416, 516, 616, 716]);
    expect(queue.freeCount).toBe(8);
    expect(queue.inFlightCount).toBe(0);
    expect(queue.broken).toBeUndefined();
    assertNoViolations(machine.violations);
  });

  it("completes by token when the device finishes out of order", () => {
    const { machine, model, queue, slab } = rng(0n, 8);
    model.holdCompletions = true;
    for (let i = 0; i < 5; i++) postWritable(queue, slab, i);
    queue.kick();
    model.releaseHeld(0, [3, 0, 4, 2, 1]);
    const seen: number[] = [];
    queue.poll((t) => seen.push(t));
    expect(seen).toEqual([3, 0, 4, 2, 1]);
    // Descriptors freed out of order must be reusable without corruption.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 8; i++) expect(postWritable(queue, slab, i)).toBe(true);
      queue.kick();
      model.releaseHeld(0, [7, 1, 5, 3, 0, 6, 2, 4]);
      expect(queue.poll(() => {})).toBe(8);
    }
    expect(queue.broken).toBeUndefined();
    assertNoViolations(machine.violations);
  });

  it.each([
    ["without EVENT_IDX", 0n],
    ["with EVENT_IDX", EVENT_IDX],
  ])("wraps its 16-bit indices over 70000 round trips (%s)", (_, features) => {
    const { machine, model, queue, slab } = rng(features, 4);
    for (let i = 0; i < 70_000; i++) {
      expect(postWritable(queue, slab, i & 3)).toBe(true);
      queue.kick();
      expect(queue.nextCompletion()).toBe(Completion.Taken);
      expect(queue.completedToken).toBe(i & 3);
    }
    expect(model.queues[0].usedIdx).toBe(70_000 & 0xffff);
    expect(model.queues[0].notifications).toBe(70_000);
    expect(queue.broken).toBeUndefined();
    assertNoViolations(machine.violations);
  });

  it("sends one notification per batch and honours EVENT_IDX avail_event", () => {
    const { machine, model, queue, slab } = rng(EVENT_IDX, 8);
    model.holdCompletions = true;
    for (let i = 0; i < 4; i++) postWritable(queue, slab, i);
    expect(queue.kick()).toBe(true);
    expect(model.queues[0].notifications).toBe(1);
    // Device asks to be told only once avail idx passes 6.
    model.queues[0].setAvailEvent(6);
    postWritable(queue, slab, 4);
    expect(queue.kick()).toBe(false);
    postWritable(queue, slab, 5);
    postWritable(queue, slab, 6);
    postWritable(queue, slab, 7);
    expect(queue.kick()).toBe(true);
    expect(queue.notifications).toBe(2);
    assertNoViolations(machine.violations);
  });

  it("skips the notification when the device sets NO_NOTIFY", () => {
    const { model, queue, slab } = rng(0n, 8);
    model.queues[0].setNoNotify(true);
    postWritable(queue, slab, 0);
    expect(queue.kick()).toBe(false);
    model.queues[0].setNoNotify(false);
    postWritable(queue, slab, 1);
    expect(queue.kick()).toBe(true);
  });

  it("suppresses interrupts with NO_INTERRUPT and with used_event", () => {
    for (const features of [0n, EVENT_IDX]) {
      const { machine, model, queue, slab } = rng(features, 8);
      queue.disableInterrupts();
      if (features) queue.enableInterrupts(); // used_event = 0: one interrupt for the first completion
      postWritable(queue, slab, 0);
      postWritable(queue, slab, 1);
      queue.kick();
      expect(model.queues[0].interrupts).toBe(features ? 1 : 0);
      queue.poll(() => {});
      expect(queue.enableInterrupts()).toBe(false);
      postWritable(queue, slab, 2);
      queue.kick();
      expect(model.queues[0].interrupts).toBe(features ? 2 : 1);
      assertNoViolations(machine.violations);
    }
  });

  it("uses indirect tables when negotiated, and a direct descriptor for single buffers", () => {
    const up = bringUpPci((m, v) => new BlkModel(m, v, { sectors: 64, queueSize: 4 }), {
      features: INDIRECT,
      queues: [{ indirectEntries: 8 }],
    });
    const q = up.queues[0];
    // Eight entries were asked for; a chain may not be longer than the 4-entry queue (2.7.5.3.1).
    expect(q.maxChainLength).toBe(4);
    const slab = new DmaSlab(up.machine, 4, 4096);
    const header = new DataView(slab.bytes(0).buffer, slab.bytes(0).byteOffset, 16);
    header.setUint32(0, BlkRequestType.Out, true);
    header.setBigUint64(8, 3n, true);
    slab.bytes(1).fill(0xab, 0, SECTOR_SIZE);
    slab.bytes(2).fill(0xcd, 0, SECTOR_SIZE);
    // Four requests of three descriptors each in a 4-entry ring: only possible with indirect tables.
    for (let i = 0; i < 4; i++) {
      q.begin();
      q.addReadable(slab.physical(0), 16);
      q.addReadable(slab.physical(1), SECTOR_SIZE);
      q.addReadable(slab.physical(2), SECTOR_SIZE);
      q.addWritable(slab.physical(3) + i, 1);
      expect(q.publish(i)).toBe(true);
    }
    expect(q.freeCount).toBe(0);
    q.kick();
    expect(q.poll(() => {})).toBe(4);
    expect(up.model.disk[3 * SECTOR_SIZE]).toBe(0xab);
    expect(up.model.disk[4 * SECTOR_SIZE]).toBe(0xcd);
    expect(Array.from(slab.bytes(3).subarray(0, 4))).toEqual([BlkStatus.Ok, BlkStatus.Ok, BlkStatus.Ok, BlkStatus.Ok]);
    // A chain longer than a table does not fit.
    q.begin();
    for (let i = 0; i < 9; i++) q.addReadable(slab.physical(0), 16);
    expect(q.publish(99)).toBe(false);
    expect(q.freeCount).toBe(4);
    assertNoViolations(up.machine.violations);
  });

  it("gives descriptors back when a direct chain does not fit", () => {
    const { queue, slab } = rng(0n, 4);
    postWritable(queue, slab, 0);
    queue.begin();
    for (let i = 0; i < 4; i++) queue.addWritable(slab.physical(i), 16);
    expect(queue.publish(1)).toBe(false);
    expect(queue.freeCount).toBe(3);
    queue.begin();
    queue.addWritable(slab.physical(1), 16);
    queue.addWritable(slab.physical(2), 16);
    queue.addWritable(slab.physical(3), 16);
    expect(queue.publish(1)).toBe(true);
    queue.kick();
    expect(queue.poll(() => {})).toBe(2);
    expect(queue.freeCount).toBe(4);
  });

  it("rejects a readable buffer after a writable one as a usage error", () => {
    const { queue, slab } = rng(0n, 4);
    queue.begin();
    queue.addWritable(slab.physical(0), 16);
    expect(() => queue.addReadable(slab.physical(1), 16)).toThrow(VirtioUsageError);
    expect(queue.freeCount).toBe(4);
  });

  it.each([
    // Both chains come back with ids beyond the ring.
    ["out-of-range", "used-id"],
    // Each chain comes back twice: four used entries for two chains in flight.
    ["repeat", "used-idx"],
  ] as const)("breaks on the first impossible used entry (ids %s) and refuses to go on", (fault, code) => {
    const { model, queue, slab } = rng(0n, 4);
    const told: VirtioRingBrokenError[] = [];
    queue.onBroken = (e) => told.push(e);
    model.faults.usedId = fault;
    postWritable(queue, slab, 0);
    postWritable(queue, slab, 1);
    queue.kick();
    expect(queue.poll(() => {})).toBe(0);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    expect(told).toHaveLength(1);
    expect(told[0]).toBeInstanceOf(VirtioRingBrokenError);
    expect(told[0].code).toBe(code);
    expect(told[0].message).toMatch(/^00:04\.0: used-id.?: queue 0: used /);
    expect(queue.broken).toBe(told[0]);
    // Even once the device behaves, the queue stays broken: only a reset and a new queue help.
    model.faults.usedId = "ok";
    expect(() => queue.begin()).toThrow(VirtioRingBrokenError);
    expect(() => queue.publish(2)).toThrow(VirtioRingBrokenError);
    expect(() => queue.kick()).toThrow(VirtioRingBrokenError);
    expect(queue.hasCompletions()).toBe(false);
    expect(queue.enableInterrupts()).toBe(false);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    expect(told).toHaveLength(1);
  });

  it("breaks on a used id inside the ring that is not the head of a chain in flight", () => {
    const { machine, model, queue, slab } = rng(0n, 4);
    model.holdCompletions = true;
    postWritable(queue, slab, 0);
    queue.kick();
    // Descriptor 2 is free: the device returns it instead of chain 0.
    const used = machine.memory.dataView(queue.addresses.deviceArea, 16) as DataView;
    used.setUint32(4, 2, true);
    used.setUint16(2, 1, true);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    expect(queue.broken?.code).toBe("used-id");
  });

  it("breaks when the used index runs further ahead than the chains in flight", () => {
    const { machine, queue, slab } = rng(0n, 4);
    const told: VirtioRingBrokenError[] = [];
    queue.onBroken = (e) => told.push(e);
    postWritable(queue, slab, 0);
    // The device claims three used entries for the one chain it was given.
    const used = machine.memory.dataView(queue.addresses.deviceArea, 4);
    used?.setUint16(2, 3, true);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    expect(told.map((e) => e.code)).toEqual(["used-idx"]);
  });

  it("clamps an oversized used length to the chain's writable bytes and counts it, without breaking", () => {
    const { model, queue, slab } = rng(0n, 4);
    model.faults.usedLengthExtra = 1000;
    postWritable(queue, slab, 0);
    queue.kick();
    expect(queue.nextCompletion()).toBe(Completion.Taken);
    expect(queue.completedLength).toBe(16);
    expect(queue.lengthClamps).toBe(1);
    expect(queue.broken).toBeUndefined();
    postWritable(queue, slab, 1);
    queue.kick();
    expect(queue.nextCompletion()).toBe(Completion.Taken);
    expect(queue.lengthClamps).toBe(2);
  });

  it("refuses everything once destroyed", () => {
    const { queue } = rng(0n, 4);
    queue.destroy();
    expect(queue.broken?.code).toBe("queue-released");
    expect(() => queue.begin()).toThrow(VirtioRingBrokenError);
    expect(queue.nextCompletion()).toBe(Completion.Broken);
    queue.disableInterrupts();
    expect(queue.hasCompletions()).toBe(false);
  });

  it.skipIf(underMutationTesting)("submits, kicks and completes without allocating", () => {
    // The test plays the device, writing used entries itself (the simulated device allocates), and
    // sets used.flags NO_NOTIFY (without EVENT_IDX) so that kick() never reaches the simulator.
    const { machine, queue, slab } = rng(0n, 256);
    const used = machine.memory.dataView(queue.addresses.deviceArea, 4 + 8 * 256) as DataView;
    used.setUint16(0, USED_NO_NOTIFY, true);
    let usedIdx = 0;
    const cycle = (count: number) => {
      for (let i = 0; i < count; i++) {
        queue.begin();
        queue.addWritable(slab.physical(0), 16);
        queue.publish(i);
        queue.kick();
        // One chain in flight at a time: its head is always descriptor 0.
        used.setUint32(4 + 8 * (usedIdx & 255), 0, true);
        used.setUint32(8 + 8 * (usedIdx & 255), 16, true);
        usedIdx = (usedIdx + 1) & 0xffff;
        used.setUint16(2, usedIdx, true);
        if (queue.nextCompletion() !== Completion.Taken || queue.completedToken !== i) throw new Error("completion lost");
      }
    };
    expect(medianHeapGrowth(cycle)).toBeLessThan(NO_ALLOCATION_BYTES);
    expect(queue.broken).toBeUndefined();
  });

  it("runs on the legacy contiguous ring layout", () => {
    const { machine, queue, slab } = rng(0n, 16, { layout: "legacy" });
    expect(queue.addresses.descriptorArea % 4096).toBe(0);
    expect(queue.addresses.deviceArea % 4096).toBe(0);
    for (let i = 0; i < 100; i++) {
      postWritable(queue, slab, i & 15);
      queue.kick();
      expect(queue.poll(() => {})).toBe(1);
    }
    assertNoViolations(machine.violations);
  });
});
