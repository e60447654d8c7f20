// The packed layout end to end against the simulator's packed-ring device side: negotiation and
// the forced split, the boot report, rng/blk/net unchanged on packed rings (in order too), event
// suppression both ways, and every ring fault the simulator can play.
import { describe, expect, it } from "vitest";
import { FeatureBit, feature } from "../../drivers/virtio/features";
import { VirtioRingBrokenError } from "../../drivers/virtio/errors";
import { VirtioDevice } from "../../drivers/virtio/device";
import { probeVirtioMmio, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { Completion, type Virtqueue } from "../../drivers/virtio/ring/virtqueue";
import { PackedVirtqueue } from "../../drivers/virtio/ring/packed";
import { SplitVirtqueue } from "../../drivers/virtio/ring/split";
import { VirtioRng, virtioRngDriver } from "../../drivers/virtio/rng/rng";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { DmaSlab } from "../../kernel/dma";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import type { RingOffer } from "../sim/virtio/device-model";
import { addVirtioMmio } from "../sim/virtio/mmio-device";
import type { PackedQueue } from "../sim/virtio/packed-queue";
import { addVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { pattern, run, settle, simDisk } from "./blk-harness";
import { irqMachine } from "./driver-irq-harness";
import { GUEST_MAC, frameTo, netRig } from "./netdrv-harness";

const PACKED = feature(FeatureBit.RingPacked);
const IN_ORDER = feature(FeatureBit.InOrder);
const EVENT_IDX = feature(FeatureBit.EventIdx);
const INDIRECT = feature(FeatureBit.IndirectDesc);

function rngRegistry(): VirtioDriverRegistry {
  const registry = new VirtioDriverRegistry();
  registry.register(virtioRngDriver);
  return registry;
}

function probeRng(ring: RingOffer, layout: VirtioPciLayout = "modern", options: { ring?: "any" | "split" } = {}) {
  const machine = new SimMachine();
  const model = new RngModel(machine.memory, machine.violations, 64, ring);
  addVirtioPci(machine, model, { device: 3, layout });
  const config = new PortPciConfig(machine.ports);
  const result = probeVirtioPci(machine, config, enumeratePci(config), rngRegistry(), options);
  return { machine, model, result, probed: result.devices[0] };
}

/** One rng device taken to DRIVER_OK by hand, with one queue for the test to drive. */
function rawRng(ring: RingOffer, wanted = 0n, queueSize = 8) {
  const machine = new SimMachine();
  const model = new RngModel(machine.memory, machine.violations, queueSize, ring);
  addVirtioPci(machine, model, { device: 4, layout: "modern" });
  const config = new PortPciConfig(machine.ports);
  const device = new VirtioDevice(machine, createPciTransport(machine, config, enumeratePci(config)[0]));
  device.acknowledge();
  device.negotiate(wanted);
  const queue = device.createQueue<number>(0, { indirectEntries: 4 });
  device.driverOk();
  const told: VirtioRingBrokenError[] = [];
  queue.onBroken = (e) => told.push(e);
  const slab = new DmaSlab(machine, queueSize * 2, 16);
  return { machine, model, device, queue, slab, told, simQueue: model.packedQueues[0] as PackedQueue };
}

function postWritable(queue: Virtqueue<number>, slab: DmaSlab, token: number, buffers = 1): boolean {
  queue.begin();
  for (let i = 0; i < buffers; i++) queue.addWritable(slab.physical(token % slab.count), 16 / buffers);
  return queue.publish(token);
}

describe("packed ring negotiation", () => {
  it("takes the packed layout when a modern device offers it, and reports ring=packed", () => {
    const { machine, model, probed, result } = probeRng({ packed: true });
    expect(probed.state).toBe("ready");
    expect(probed.device?.ringLayout).toBe("packed");
    expect(probed.device?.queues[0]).toBeInstanceOf(PackedVirtqueue);
    expect(model.packed).toBe(true);
    expect(result.lines[0]).toMatch(/^virtio 00:03\.0 type=rng transport=modern notify=mem features=[0-9a-f]+ queues=1 ring=packed$/);
    const rng = probed.instance as VirtioRng;
    expect(rng.getRandomValues(new Uint8Array(3000)).some((b) => b !== 0)).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("accepts IN_ORDER for every driver and reports it", () => {
    const { machine, probed, result } = probeRng({ packed: true, inOrder: true });
    expect((probed.device?.features ?? 0n) & (PACKED | IN_ORDER)).toBe(PACKED | IN_ORDER);
    expect(result.lines[0]).toMatch(/ queues=1 ring=packed in-order$/);
    assertNoViolations(machine.violations);
  });

  it("keeps split rings when the probe is told so, even where packed is offered", () => {
    const { machine, model, probed, result } = probeRng({ packed: true, inOrder: true }, "modern", { ring: "split" });
    expect(probed.device?.ringLayout).toBe("split");
    expect(probed.device?.queues[0]).toBeInstanceOf(SplitVirtqueue);
    expect(model.packed).toBe(false);
    expect(result.lines[0]).toMatch(/ queues=1 ring=split in-order$/);
    expect((probed.instance as VirtioRng).getRandomValues(new Uint8Array(500)).some((b) => b !== 0)).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("stays split on a legacy interface (feature bits above 31 cannot be carried)", () => {
    const { machine, probed, result } = probeRng({ packed: true, inOrder: true }, "legacy");
    expect(probed.device?.ringLayout).toBe("split");
    expect(result.lines[0]).toMatch(/transport=legacy .* ring=split$/);
    assertNoViolations(machine.violations);
  });

  it("uses packed rings over virtio-mmio version 2", () => {
    const machine = new SimMachine();
    const model = new RngModel(machine.memory, machine.violations, 64, { packed: true });
    addVirtioMmio(machine, model, 0xfeb0_0000, 2);
    const result = probeVirtioMmio(machine, [{ base: 0xfeb0_0000, size: 0x200 }], rngRegistry());
    expect(result.lines[0]).toMatch(/transport=mmio .* ring=packed$/);
    expect((result.devices[0].instance as VirtioRng).getRandomValues(new Uint32Array(64)).some((v) => v !== 0)).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("takes a queue size that is not a power of two on a packed ring", () => {
    const machine = new SimMachine();
    const model = new RngModel(machine.memory, machine.violations, 64, { packed: true });
    model.faults.queueMaxSizes = [48];
    addVirtioPci(machine, model, { device: 3, layout: "modern" });
    const config = new PortPciConfig(machine.ports);
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), rngRegistry()).devices;
    expect(probed.state).toBe("ready");
    expect(probed.device?.queues[0].size).toBe(48);
    expect((probed.instance as VirtioRng).getRandomValues(new Uint8Array(5000)).some((b) => b !== 0)).toBe(true);
    assertNoViolations(machine.violations);
  });
});

describe.each([
  ["packed", { packed: true }],
  ["packed, in order, batched", { packed: true, inOrder: true }],
  ["split, in order", { inOrder: true }],
] as const)("drivers on %s rings", (_name, ring: RingOffer) => {
  const batch = (model: { inOrderBatch: boolean }) => (model.inOrderBatch = true);

  it("virtio-blk reads back what it wrote, many requests at once", async () => {
    const { machine, model, disk, loop, probe } = simDisk({ sectors: 2048, ...ring, prepare: batch });
    expect(probe.devices[0].device?.ringLayout).toBe(ring.packed ? "packed" : "split");
    expect(model.packed).toBe(ring.packed === true);
    const writes = Array.from({ length: 40 }, (_, i) => disk.write(i * 8, pattern(4096, i)));
    const written = await settle(loop, writes);
    expect(written.every((r) => r.status === "fulfilled")).toBe(true);
    for (let i = 0; i < 40; i += 7) expect(await run(loop, disk.read(i * 8, new Uint8Array(4096)))).toEqual(pattern(4096, i));
    assertNoViolations(machine.violations);
  });

  it("virtio-net sends and receives frames, buffers re-posted", () => {
    const { machine, model, net, received } = netRig({ device: { ...ring }, driver: { rxBuffers: 8 } });
    expect(model.packed).toBe(ring.packed === true);
    model.inOrderBatch = true;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 8; i++) expect(model.injectFrame(frameTo(GUEST_MAC, 60 + i))).toBe(true);
      net.poll();
      for (let i = 0; i < 5; i++) expect(net.transmit(frameTo([2, 0, 0, 0, 0, 1], 100 + i))).toBe(true);
      net.flush();
      net.poll();
    }
    expect(received.length).toBe(160);
    expect(model.transmitted.length).toBe(100);
    expect(model.postedRxBuffers).toBe(8);
    assertNoViolations(machine.violations);
  });

  it("virtio-rng fills large requests", () => {
    const { machine, model, probed } = probeRng(ring);
    model.inOrderBatch = true;
    const out = (probed.instance as VirtioRng).getRandomValues(new Uint8Array(20_000));
    expect(new Set(out).size).toBeGreaterThan(200);
    assertNoViolations(machine.violations);
  });
});

describe.each([
  ["MSI-X", { msixVectors: 4 }],
  ["INTx", { msixVectors: 0, interruptLine: 11 }],
] as const)("blk and net on packed rings by interrupt (%s)", (_name, pci: { msixVectors: number; interruptLine?: number }) => {
  it.each([false, true])("complete every request and frame (EVENT_IDX %s)", async (eventIdx) => {
    const rig = irqMachine({
      disk: { model: { sectors: 4096, blkSize: 4096, packed: true, eventIdx }, pci },
      nic: { model: { packed: true, eventIdx }, pci },
    });
    const { blk, net, netModel, disk } = rig;
    expect(blk.interruptMode).toBe(pci.msixVectors === 0 ? "intx" : "msix");
    expect([rig.blkModel.packed, netModel.packed]).toEqual([true, true]);
    const frames: number[] = [];
    net.onReceive((frame) => frames.push(frame.length));
    rig.turn();
    const writes = Array.from({ length: 32 }, (_, i) => disk.write(i, pattern(4096, i)));
    await rig.run(Promise.all(writes));
    const reads = Array.from({ length: 32 }, (_, i) => disk.read(i, new Uint8Array(4096)));
    const back = await rig.run(Promise.all(reads));
    back.forEach((data, i) => expect(data).toEqual(pattern(4096, i)));
    expect(blk.interruptStats.interrupts).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) netModel.injectFrame(frameTo(GUEST_MAC, 60 + i));
    for (let i = 0; i < 4; i++) rig.turn();
    expect(frames.length).toBe(20);
    expect(net.interruptStats.interrupts).toBeGreaterThan(0);
    expect(rig.uncaught).toEqual([]);
    assertNoViolations(rig.machine.violations);
  });
});

describe("packed ring against the simulated device", () => {
  it("wraps over 70,000 round trips with chains and indirect tables, notifications as asked", () => {
    const { machine, model, queue, slab, told } = rawRng({ packed: true }, EVENT_IDX | INDIRECT, 6);
    let sent = 0;
    let done = 0;
    for (let round = 0; round < 70_000; round++) {
      const chain = 1 + (round % 3);
      if (postWritable(queue, slab, sent, chain)) sent++;
      if (round % 3 === 2) {
        queue.kick();
        done += queue.poll(() => undefined);
      }
    }
    queue.kick();
    done += queue.poll(() => undefined);
    expect(done).toBe(sent);
    expect(sent).toBeGreaterThan(60_000);
    expect(told).toEqual([]);
    expect(model.packedQueues[0].notifications).toBeLessThanOrEqual(queue.notifications);
    assertNoViolations(machine.violations);
  });

  it("notifies under DESC only when the named slot is made available, never under DISABLE", () => {
    const { machine, model, queue, slab, simQueue } = rawRng({ packed: true }, EVENT_IDX, 8);
    model.holdCompletions = true;
    simQueue.setDeviceEvent(model, "desc", 2);
    postWritable(queue, slab, 0);
    expect(queue.kick()).toBe(false);
    postWritable(queue, slab, 1);
    postWritable(queue, slab, 2);
    expect(queue.kick()).toBe(true);
    expect(simQueue.notifications).toBe(1);
    simQueue.setDeviceEvent(model, "disable");
    postWritable(queue, slab, 3);
    expect(queue.kick()).toBe(false);
    simQueue.setDeviceEvent(model, "enable");
    postWritable(queue, slab, 4);
    expect(queue.kick()).toBe(true);
    expect(simQueue.notifications).toBe(2);
    model.releaseHeld(0);
    expect(queue.poll(() => undefined)).toBe(5);
    assertNoViolations(machine.violations);
  });

  it("asks for no interrupts while disabled and for the next used slot when re-enabled (EVENT_IDX)", () => {
    const { machine, model, queue, slab, simQueue } = rawRng({ packed: true }, EVENT_IDX, 8);
    queue.disableInterrupts();
    for (let t = 0; t < 3; t++) postWritable(queue, slab, t);
    queue.kick();
    expect(simQueue.interrupts).toBe(0);
    expect(simQueue.suppressed).toBe(3);
    expect(queue.enableInterrupts()).toBe(true);
    expect(queue.poll(() => undefined)).toBe(3);
    expect(queue.enableInterrupts()).toBe(false);
    postWritable(queue, slab, 3);
    queue.kick();
    expect(simQueue.interrupts).toBe(1);
    expect(model.queue(0)).toBe(simQueue);
    assertNoViolations(machine.violations);
  });

  it.each([0n, EVENT_IDX])("drain loses no completion landing before the re-enable (features %s)", (wanted) => {
    const { machine, model, queue, slab } = rawRng({ packed: true }, wanted, 8);
    postWritable(queue, slab, 1);
    queue.kick();
    model.holdCompletions = true;
    postWritable(queue, slab, 2);
    queue.kick();
    const taken: number[] = [];
    let landed = false;
    const before = model.packedQueues[0].interrupts;
    queue.drain(() => {
      const count = queue.poll((token) => taken.push(token));
      if (!landed) {
        landed = true;
        model.releaseHeld(0);
      }
      return count;
    });
    expect(taken).toEqual([1, 2]);
    expect(model.packedQueues[0].interrupts).toBe(before);
    assertNoViolations(machine.violations);
  });

  it("completes held buffers out of order, then in order as batches", () => {
    const { machine, model, queue, slab, told } = rawRng({ packed: true }, 0n, 8);
    model.holdCompletions = true;
    for (let t = 0; t < 5; t++) postWritable(queue, slab, t, 1 + (t % 2));
    queue.kick();
    model.releaseHeld(0, [3, 0, 4, 2, 1]);
    const order: number[] = [];
    queue.poll((t, length) => order.push(t * 100 + length));
    expect(order).toEqual([316, 16, 416, 216, 116]);
    expect(told).toEqual([]);
    assertNoViolations(machine.violations);

    const inOrder = rawRng({ packed: true, inOrder: true }, 0n, 8);
    inOrder.model.inOrderBatch = true;
    inOrder.model.holdCompletions = true;
    for (let t = 0; t < 6; t++) postWritable(inOrder.queue, inOrder.slab, t);
    inOrder.queue.kick();
    inOrder.model.releaseHeld(0);
    const tokens: number[] = [];
    expect(inOrder.queue.poll((t, length) => tokens.push(t * 100 + length))).toBe(6);
    expect(tokens).toEqual([16, 116, 216, 316, 416, 516]);
    expect(inOrder.told).toEqual([]);
    assertNoViolations(inOrder.machine.violations);
  });

  describe("device faults", () => {
    it.each([
      ["out-of-range", "used-id"],
      ["not-in-flight", "used-id"],
      ["repeat", "used-ahead"],
    ] as const)("a used id %s breaks the queue once (%s)", (fault, code) => {
      // One buffer in flight: with more, an id "not in flight" at the device may be one the driver
      // made available and the device has not taken yet, which the driver cannot tell apart.
      const { model, queue, slab, told } = rawRng({ packed: true }, 0n, 8);
      postWritable(queue, slab, 0);
      model.faults.usedId = fault;
      queue.kick();
      let status: Completion = Completion.Taken;
      for (let i = 0; i < 4 && status === Completion.Taken; i++) status = queue.nextCompletion();
      expect(status).toBe(Completion.Broken);
      expect(queue.broken).toBeInstanceOf(VirtioRingBrokenError);
      expect(queue.broken?.code).toBe(code);
      expect(told.map((e) => e.code)).toEqual([code]);
      expect(() => queue.begin()).toThrow(VirtioRingBrokenError);
      expect(queue.nextCompletion()).toBe(Completion.Broken);
    });

    it("a used entry for a buffer never made available breaks the queue", () => {
      const { model, queue, slab, told } = rawRng({ packed: true }, 0n, 8);
      model.faults.usedAhead = true;
      postWritable(queue, slab, 0);
      queue.kick();
      expect(queue.nextCompletion()).toBe(Completion.Taken);
      expect(queue.nextCompletion()).toBe(Completion.Broken);
      expect(told.length).toBe(1);
      expect(["used-id", "used-ahead"]).toContain(told[0].code);
    });

    it("an oversized used length is clamped and counted, not a break", () => {
      const { model, queue, slab, told } = rawRng({ packed: true }, 0n, 8);
      model.faults.usedLengthExtra = 100;
      postWritable(queue, slab, 0);
      queue.kick();
      expect(queue.nextCompletion()).toBe(Completion.Taken);
      expect(queue.completedLength).toBe(16);
      expect(queue.lengthClamps).toBe(1);
      expect(told).toEqual([]);
    });

    it.each(["inverted", "mismatched"] as const)("used descriptors with %s wrap bits are never taken as used", (bits) => {
      const { model, queue, slab, told } = rawRng({ packed: true }, 0n, 8);
      model.faults.usedWrapBits = bits;
      postWritable(queue, slab, 0);
      queue.kick();
      expect(queue.hasCompletions()).toBe(false);
      expect(queue.nextCompletion()).toBe(Completion.None);
      expect(told).toEqual([]);
    });

    it("a stalled device leaves the buffers in flight and the queue intact", () => {
      const { model, queue, slab } = rawRng({ packed: true }, 0n, 8);
      model.faults.stalled = true;
      for (let t = 0; t < 8; t++) expect(postWritable(queue, slab, t)).toBe(true);
      expect(postWritable(queue, slab, 8)).toBe(false);
      queue.kick();
      expect(queue.nextCompletion()).toBe(Completion.None);
      expect(queue.inFlightCount).toBe(8);
      expect(queue.broken).toBeUndefined();
    });
  });
});
