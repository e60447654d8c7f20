import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { BlkModel } from "../sim/virtio/blk-model";
import { MMIO_WINDOW_SIZE } from "../sim/virtio/mmio";
import { addVirtioMmio } from "../sim/virtio/mmio-device";
import { NetModel } from "../sim/virtio/net-model";
import { PackedQueue } from "../sim/virtio/packed-queue";
import { SimQueue } from "../sim/virtio/queue";
import { RngModel } from "../sim/virtio/rng-model";
import { SimMachine } from "../sim/machine";
import { VIRTIO_BLK_S, VIRTIO_BLK_T, virtio_blk_req } from "../sim/virtio/spec/blk";
import { VIRTIO_F, featureBit } from "../sim/virtio/spec/feature-bits";
import { virtio_mmio_legacy_registers as legacyReg } from "../sim/virtio/spec/mmio";
import {
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_WRITE,
} from "../sim/virtio/spec/packed-ring";
import { PackedTestDriver, availBits, packedDevice, usedBits } from "./sim-packed-harness";
import type { PackedDevice } from "./sim-packed-harness";

const WRITABLE = { len: 64, write: true } as const;
const READABLE = { len: 16, write: false } as const;

describe("packed virtqueue device model (virtio 1.2 section 2.8)", () => {
  it.each(["pci", "mmio"] as const)("takes a buffer and writes its used descriptor over %s", (transport) => {
    const d = packedDevice({ transport });
    d.ready();
    expect(d.model.queue(0)).toBeInstanceOf(PackedQueue);
    const driver = new PackedTestDriver(d);
    const id = driver.add([WRITABLE]);
    d.notify();
    assertNoViolations(d.machine.violations);
    const used = driver.collect();
    expect(used).toEqual([{ id, len: WRITABLE.len, flags: usedBits(true) | VIRTQ_DESC_F_WRITE, position: 0 }]);
    expect(d.queue().used).toEqual({ position: 1, wrap: true });
    expect(d.queue().interrupts).toBe(1);
  });

  it("70,000 round trips of lists of 1 to 3 descriptors on an 8-entry ring: wrap counters flip every lap", () => {
    const d = packedDevice({ size: 8 });
    d.ready();
    const driver = new PackedTestDriver(d);
    const shapes = [[WRITABLE], [READABLE, WRITABLE], [READABLE, WRITABLE, WRITABLE], [READABLE]];
    const writable = shapes.map((shape) => shape.filter((e) => e.write).reduce((n, e) => n + e.len, 0));
    let descriptors = 0;
    let laps = 0;
    let wrong = 0;
    for (let trip = 0; trip < 70_000; trip++) {
      const shape = shapes[trip % shapes.length];
      const id = driver.add(shape);
      d.notify();
      const used = driver.collect();
      if (used.length !== 1 || used[0].id !== id || used[0].len !== writable[trip % shapes.length]) wrong++;
      const before = descriptors;
      descriptors += shape.length;
      laps += Math.floor(descriptors / 8) - Math.floor(before / 8);
    }
    expect(wrong).toBe(0);
    assertNoViolations(d.machine.violations);
    const q = d.queue();
    expect(q.used).toEqual({ position: descriptors % 8, wrap: laps % 2 === 0 });
    expect(q.avail).toEqual(q.used);
    expect(driver.usedWrap).toBe(q.used.wrap);
    expect(laps).toBeGreaterThan(15_000);
  });

  it("completes out of order: used descriptors in completion order, each skipping its own list", () => {
    const d = packedDevice();
    d.ready();
    d.model.holdCompletions = true;
    const driver = new PackedTestDriver(d);
    const ids = [driver.add([READABLE, WRITABLE]), driver.add([WRITABLE]), driver.add([READABLE, READABLE, WRITABLE])];
    d.notify();
    expect(d.queue().held).toHaveLength(3);
    d.model.releaseHeld(0, [2, 0, 1]);
    assertNoViolations(d.machine.violations);
    const used = driver.collect();
    expect(used.map((u) => [u.id, u.position])).toEqual([
      [ids[2], 0],
      [ids[0], 3],
      [ids[1], 5],
    ]);
    expect(d.queue().used).toEqual({ position: 6, wrap: true });
  });

  it("with IN_ORDER and batching, one used descriptor (the last buffer's id) covers the batch", () => {
    const d = packedDevice();
    d.ready(featureBit(VIRTIO_F.IN_ORDER));
    d.model.inOrderBatch = true;
    const driver = new PackedTestDriver(d, true);
    const ids = [driver.add([WRITABLE]), driver.add([READABLE, WRITABLE]), driver.add([WRITABLE])];
    d.notify();
    assertNoViolations(d.machine.violations);
    const used = driver.collect();
    expect(used.map((u) => [u.id, u.position])).toEqual([[ids[2], 0]]);
    expect(d.queue().used).toEqual({ position: 4, wrap: true });
    expect(d.queue().interrupts).toBe(1);
    expect(driver.inFlight).toEqual([]);
  });

  it("without IN_ORDER negotiated the device does not batch", () => {
    const d = packedDevice();
    d.ready();
    d.model.inOrderBatch = true;
    const driver = new PackedTestDriver(d);
    driver.add([WRITABLE]);
    driver.add([WRITABLE]);
    d.notify();
    expect(driver.collect()).toHaveLength(2);
  });

  it("follows an indirect table", () => {
    const d = packedDevice();
    d.ready(featureBit(VIRTIO_F.INDIRECT_DESC));
    const table = d.buffers + 8 * 256;
    const entries = [
      { addr: d.buffers + 0x100, len: 8, flags: 0 },
      { addr: d.buffers + 0x200, len: 32, flags: VIRTQ_DESC_F_WRITE },
    ];
    const v = d.view(table, 32);
    entries.forEach((e, i) => {
      v.setBigUint64(i * 16, BigInt(e.addr), true);
      v.setUint32(i * 16 + 8, e.len, true);
      v.setUint16(i * 16 + 14, e.flags, true);
    });
    d.writeDesc(0, { addr: table, len: 32, id: 5, flags: VIRTQ_DESC_F_INDIRECT | availBits(true) });
    d.notify();
    assertNoViolations(d.machine.violations);
    expect(d.readDesc(0)).toMatchObject({ id: 5, len: 32, flags: usedBits(true) | VIRTQ_DESC_F_WRITE });
  });

  describe("used buffer notifications: the driver event suppression structure", () => {
    const round = (d: PackedDevice, driver: PackedTestDriver) => {
      driver.add([WRITABLE]);
      d.notify();
      driver.collect();
    };

    it("ENABLE interrupts, DISABLE does not", () => {
      const d = packedDevice();
      d.ready();
      const driver = new PackedTestDriver(d);
      d.setDriverEvent(RING_EVENT_FLAGS_DISABLE);
      round(d, driver);
      expect([d.queue().interrupts, d.queue().suppressed]).toEqual([0, 1]);
      d.setDriverEvent(RING_EVENT_FLAGS_ENABLE);
      round(d, driver);
      expect([d.queue().interrupts, d.queue().suppressed]).toEqual([1, 1]);
      assertNoViolations(d.machine.violations);
    });

    it("DESC (with EVENT_IDX) interrupts only when the descriptor at the offset and wrap counter is used", () => {
      const d = packedDevice();
      d.ready(featureBit(VIRTIO_F.EVENT_IDX));
      const driver = new PackedTestDriver(d);
      // Position 2 of the second lap: used by the 11th single-descriptor buffer.
      d.setDriverEvent(RING_EVENT_FLAGS_DESC, 2, false);
      const wanted: number[] = [];
      for (let i = 1; i <= 20; i++) {
        const before = d.queue().interrupts;
        round(d, driver);
        if (d.queue().interrupts > before) wanted.push(i);
      }
      expect(wanted).toEqual([11]);
      assertNoViolations(d.machine.violations);
    });
  });

  describe("available buffer notifications: the device event suppression structure", () => {
    it("the device writes the mode a test sets, and in DESC mode an offset that follows its position", () => {
      const d = packedDevice();
      d.ready(featureBit(VIRTIO_F.EVENT_IDX));
      expect(d.readDeviceEvent().flags).toBe(RING_EVENT_FLAGS_ENABLE);
      d.queue().setDeviceEvent(d.model, "disable");
      expect(d.readDeviceEvent().flags).toBe(RING_EVENT_FLAGS_DISABLE);
      d.queue().setDeviceEvent(d.model, "desc", 2);
      expect(d.readDeviceEvent()).toEqual({ flags: RING_EVENT_FLAGS_DESC, offset: 2, wrap: true });
      const driver = new PackedTestDriver(d);
      for (let i = 0; i < 7; i++) driver.add([WRITABLE]);
      d.notify();
      assertNoViolations(d.machine.violations);
      expect(d.readDeviceEvent()).toEqual({ flags: RING_EVENT_FLAGS_DESC, offset: 1, wrap: false });
    });

    it("DESC needs EVENT_IDX", () => {
      const d = packedDevice();
      d.ready();
      expect(() => d.queue().setDeviceEvent(d.model, "desc")).toThrow(/EVENT_IDX/);
    });

    it("a device may poll instead of waiting for notifications", () => {
      const d = packedDevice();
      d.ready();
      d.queue().setDeviceEvent(d.model, "disable");
      const driver = new PackedTestDriver(d);
      driver.add([WRITABLE]);
      d.model.poll(0);
      expect(driver.collect()).toHaveLength(1);
      assertNoViolations(d.machine.violations);
    });
  });

  describe("the transports and feature negotiation", () => {
    it("offered only on request; without RING_PACKED negotiated the queue is split", () => {
      const plain = new RngModel(new SimMachine().memory, new SimMachine().violations);
      expect(plain.offeredFeatures & featureBit(VIRTIO_F.RING_PACKED)).toBe(0n);
      const d = packedDevice();
      d.negotiate(0n, featureBit(VIRTIO_F.VERSION_1));
      expect(d.model.queue(0)).toBeInstanceOf(SimQueue);
    });

    it("legacy interfaces cannot negotiate it: mmio v1 offers no feature bit above 31", () => {
      const machine = new SimMachine();
      const model = new RngModel(machine.memory, machine.violations, 8, { packed: true, inOrder: true });
      const base = 0xfeb0_0000;
      addVirtioMmio(machine, model, base, 1);
      machine.mapPhysical(base, MMIO_WINDOW_SIZE);
      machine.mmio.write32(base + legacyReg.HostFeaturesSel.offset, 1);
      expect(machine.mmio.read32(base + legacyReg.HostFeatures.offset)).toBe(0);
      expect(model.deviceFeatures() & featureBit(VIRTIO_F.RING_PACKED)).toBe(0n);
    });

    it("a queue size that is not a power of 2 is fine for a packed queue", () => {
      const d = packedDevice();
      d.negotiate();
      d.setUpQueue(undefined, 6);
      assertNoViolations(d.machine.violations);
      expect(d.queue().size).toBe(6);
    });

    it("blk requests work unchanged on a packed ring", () => {
      const d = packedDevice({ model: (m, n) => new BlkModel(m.memory, m.violations, { sectors: 8, queueSize: n, packed: true }) });
      d.ready();
      d.model.disk.fill(0xab, 512, 1024);
      const driver = new PackedTestDriver(d);
      const id = driver.add([{ len: 16, write: false }, { len: 512, write: true }, { len: 1, write: true }]);
      const header = d.view(d.buffers, 16);
      header.setUint32(virtio_blk_req.type.offset, VIRTIO_BLK_T.IN, true);
      header.setBigUint64(virtio_blk_req.sector.offset, 1n, true);
      d.notify();
      assertNoViolations(d.machine.violations);
      expect(driver.collect()).toMatchObject([{ id, len: 513 }]);
      expect(d.view(d.buffers + 256, 512).getUint8(511)).toBe(0xab);
      expect(d.view(d.buffers + 512, 1).getUint8(0)).toBe(VIRTIO_BLK_S.OK);
    });

    it("net receive buffers are kept until a frame arrives, then used, on a packed ring", () => {
      const d = packedDevice({ model: (m, n) => new NetModel(m.memory, m.violations, { queueSize: n, packed: true }) });
      d.ready();
      const driver = new PackedTestDriver(d);
      const id = driver.add([{ len: 256, write: true }]);
      d.notify();
      expect(d.model.postedRxBuffers).toBe(1);
      expect(driver.collect()).toEqual([]);
      expect(d.model.injectFrame(new Uint8Array(60).fill(7))).toBe(true);
      expect(driver.collect()).toMatchObject([{ id, len: d.model.headerSize + 60 }]);
      assertNoViolations(d.machine.violations);
    });
  });
});
