// virtio-net driver: transmit batching, frames built in place, reclaim when slots run out, and
// back-pressure when full.
import { describe, expect, it } from "vitest";
import { NetQueue } from "../sim/virtio/net-model";
import { assertNoViolations } from "../sim/violations";
import { frameTo, netRig } from "./netdrv-harness";

const PEER = [2, 0, 0, 0, 0, 1];

describe("virtio-net transmit", () => {
  it("notifies the device once per flushed batch", () => {
    const { machine, model, net } = netRig();
    const tx = model.queues[NetQueue.Tx];
    for (let i = 0; i < 5; i++) expect(net.transmit(frameTo(PEER, 60))).toBe(true);
    expect(tx.notifications).toBe(0);
    net.poll();
    expect(tx.notifications).toBe(1);
    expect(model.transmitted.length).toBe(5);
    net.poll();
    expect(tx.notifications).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("notifies when a batch fills up without waiting for the flush", () => {
    const { model, net } = netRig({ driver: { txBatch: 4 } });
    for (let i = 0; i < 10; i++) net.transmit(frameTo(PEER, 60));
    expect(model.queues[NetQueue.Tx].notifications).toBe(2);
    expect(model.transmitted.length).toBe(8);
    net.flush();
    expect(model.transmitted.length).toBe(10);
  });

  it("returns false when every buffer is in flight, and reclaims them on the next send", () => {
    const { machine, model, net } = netRig({ driver: { txBuffers: 8, txBatch: 8 } });
    model.holdCompletions = true;
    for (let i = 0; i < 8; i++) expect(net.transmit(frameTo(PEER, 60 + i))).toBe(true);
    expect(net.transmit(frameTo(PEER, 60))).toBe(false);
    expect(net.transmit(frameTo(PEER, 60))).toBe(false);
    expect(net.counters.txRingFull).toBe(2);
    expect(net.counters.txFrames).toBe(8);
    model.holdCompletions = false;
    model.releaseHeld(NetQueue.Tx);
    for (let i = 0; i < 8; i++) expect(net.transmit(frameTo(PEER, 100 + i))).toBe(true);
    net.flush();
    expect(model.transmitted.map((f) => f.length)).toEqual([...Array.from({ length: 8 }, (_, i) => 74 + i), ...Array.from({ length: 8 }, (_, i) => 114 + i)]);
    assertNoViolations(machine.violations);
  });

  it("is limited by descriptors when the header needs its own (legacy without ANY_LAYOUT, no indirect)", () => {
    const { machine, model, net } = netRig({ layout: "legacy", device: { queueSize: 16, indirect: false }, driver: { txBatch: 64 } });
    expect(net.layout.descriptorsPerBuffer).toBe(2);
    model.holdCompletions = true;
    let sent = 0;
    while (net.transmit(frameTo(PEER, 60))) sent++;
    expect(sent).toBe(8);
    assertNoViolations(machine.violations);
  });

  it("drops and counts frames beyond the MTU instead of reporting a full ring", () => {
    const { model, net } = netRig();
    expect(net.transmit(frameTo(PEER, 1600))).toBe(true);
    net.flush();
    expect(model.transmitted).toEqual([]);
    expect(net.counters.txOversize).toBe(1);
  });

  it("hands out a slot's frame to build in place, the same one again until it is sent", () => {
    const { machine, model, net } = netRig();
    const expected = frameTo(PEER, 100);
    const first = net.allocateFrame(expected.length);
    expect(first?.length).toBe(expected.length);
    expect(net.allocateFrame(expected.length)).toBe(first);
    first?.set(expected);
    expect(net.transmitAllocated(first as Uint8Array)).toBe(true);
    expect(net.allocateFrame(expected.length)).not.toBe(first);
    net.flush();
    expect(model.transmitted).toEqual([expected]);
    expect(net.counters.txFrames).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("has no frame to hand out beyond the MTU or while every slot is in flight", () => {
    const { machine, model, net } = netRig({ driver: { txBuffers: 4, txBatch: 4 } });
    expect(net.allocateFrame(1600)).toBeUndefined();
    model.holdCompletions = true;
    for (let i = 0; i < 4; i++) {
      const frame = net.allocateFrame(74) as Uint8Array;
      frame.set(frameTo(PEER, 60));
      expect(net.transmitAllocated(frame)).toBe(true);
    }
    expect(net.allocateFrame(74)).toBeUndefined();
    expect(net.transmit(frameTo(PEER, 60))).toBe(false);
    model.holdCompletions = false;
    model.releaseHeld(NetQueue.Tx);
    expect(net.allocateFrame(74)).toBeDefined();
    expect(net.counters.txFrames).toBe(4);
    assertNoViolations(machine.violations);
  });
});
