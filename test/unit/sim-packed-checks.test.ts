import { describe, expect, it } from "vitest";
import type { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { VIRTIO_F, featureBit } from "../sim/virtio/spec/feature-bits";
import {
  PVIRTQ_DESC_SIZE,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_MASK,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  pvirtq_desc,
} from "../sim/virtio/spec/packed-ring";
import { FillModel, PackedTestDriver, availBits, packedDevice } from "./sim-packed-harness";

const WRITABLE = { len: 64, write: true } as const;
const INDIRECT_DESC = featureBit(VIRTIO_F.INDIRECT_DESC);
const EVENT_IDX = featureBit(VIRTIO_F.EVENT_IDX);

function expectViolation(machine: SimMachine, pattern: RegExp) {
  expect(() => assertNoViolations(machine.violations)).toThrow(pattern);
}

/** Each test makes one driver-side mistake on a packed ring with raw memory writes and expects the simulator to name it. */
describe("packed ring driver requirements the simulator checks (virtio 1.2 section 2.8)", () => {
  describe("making descriptors available", () => {
    it("AVAIL and USED both set to the driver's wrap counter (a used descriptor, not an available one)", () => {
      const d = packedDevice();
      d.ready();
      d.writeDesc(0, { len: 64, id: 0, flags: VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED });
      d.notify();
      expectViolation(d.machine, /position 0 has flags 0x8082: AVAIL\/USED do not make it available for wrap counter 1/);
      expect(d.queue().avail).toEqual({ position: 0, wrap: true });
    });

    it("a driver that does not flip its wrap counter after the last descriptor of the ring", () => {
      const d = packedDevice();
      d.ready();
      const driver = new PackedTestDriver(d);
      for (let i = 0; i < d.size; i++) {
        driver.add([WRITABLE]);
        d.notify();
        driver.collect();
      }
      assertNoViolations(d.machine.violations);
      d.writeDesc(0, { len: 64, id: 0, flags: VIRTQ_DESC_F_WRITE | availBits(true) });
      d.notify();
      expectViolation(d.machine, /position 0 has flags 0x82: AVAIL\/USED do not make it available for wrap counter 0/);
    });

    it("the first descriptor of a list made available before the rest", () => {
      const d = packedDevice();
      d.ready();
      d.writeDesc(1, { len: 64, id: 4, flags: 0 });
      d.writeDesc(0, { len: 16, id: 4, flags: VIRTQ_DESC_F_NEXT | availBits(true) });
      d.notify();
      expectViolation(d.machine, /the list from position 0 was made available before its descriptor at position 1 \(the first descriptor must be made available last\)/);
      expect(d.queue().avail.position).toBe(0);
      d.machine.violations.clear();
      d.writeDesc(1, { len: 64, id: 4, flags: VIRTQ_DESC_F_WRITE | availBits(true) });
      d.notify();
      assertNoViolations(d.machine.violations);
      expect(d.readDesc(0)).toMatchObject({ id: 4, len: 64 });
    });

    it("a buffer id made available again while in flight", () => {
      const d = packedDevice();
      d.ready();
      d.model.holdCompletions = true;
      d.writeDesc(0, { len: 64, id: 3, flags: VIRTQ_DESC_F_WRITE | availBits(true) });
      d.writeDesc(1, { len: 64, id: 3, flags: VIRTQ_DESC_F_WRITE | availBits(true) });
      d.notify();
      expectViolation(d.machine, /buffer id 3 made available again while in flight/);
      expect(d.queue().held).toHaveLength(1);
    });

    it("a list longer than the queue size", () => {
      const d = packedDevice();
      d.ready();
      for (let i = d.size - 1; i >= 0; i--) d.writeDesc(i, { len: 16, id: 1, flags: VIRTQ_DESC_F_NEXT | availBits(true) });
      d.notify();
      expectViolation(d.machine, /the list from position 0 is longer than the queue size 8/);
    });

    it("a descriptor made available before the device used the one it replaces (ring overrun)", () => {
      const d = packedDevice();
      d.ready();
      d.model.holdCompletions = true;
      const driver = new PackedTestDriver(d);
      for (let i = 0; i < d.size; i++) driver.add([WRITABLE]);
      d.notify();
      assertNoViolations(d.machine.violations);
      d.writeDesc(0, { len: 64, id: 0, flags: VIRTQ_DESC_F_WRITE | availBits(false) });
      d.notify();
      expectViolation(d.machine, /descriptor at position 0 made available before the device used it/);
    });

    it("a readable element after a writable one", () => {
      const d = packedDevice();
      d.ready();
      d.writeDesc(1, { len: 16, id: 2, flags: availBits(true) });
      d.writeDesc(0, { len: 64, id: 2, flags: VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT | availBits(true) });
      d.notify();
      expectViolation(d.machine, /readable element after a writable one in the list at position 0/);
    });

    it("a buffer outside DMA memory", () => {
      const d = packedDevice();
      d.ready();
      d.writeDesc(0, { addr: 0x10, len: 64, id: 0, flags: VIRTQ_DESC_F_WRITE | availBits(true) });
      d.notify();
      expectViolation(d.machine, /buffer 0x10\+64 outside DMA memory/);
    });
  });

  describe("indirect descriptors", () => {
    const table = (d: ReturnType<typeof packedDevice>, flags: number[]) => {
      const address = d.buffers + d.size * 256;
      const v = d.view(address, flags.length * PVIRTQ_DESC_SIZE);
      flags.forEach((f, i) => {
        v.setBigUint64(i * PVIRTQ_DESC_SIZE + pvirtq_desc.addr.offset, BigInt(d.buffers + i * 64), true);
        v.setUint32(i * PVIRTQ_DESC_SIZE + pvirtq_desc.len.offset, 64, true);
        v.setUint16(i * PVIRTQ_DESC_SIZE + pvirtq_desc.flags.offset, f, true);
      });
      return { addr: address, len: flags.length * PVIRTQ_DESC_SIZE };
    };

    it("INDIRECT together with NEXT", () => {
      const d = packedDevice();
      d.ready(INDIRECT_DESC);
      d.writeDesc(1, { len: 64, id: 0, flags: VIRTQ_DESC_F_WRITE | availBits(true) });
      d.writeDesc(0, { ...table(d, [VIRTQ_DESC_F_WRITE]), id: 0, flags: VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT | availBits(true) });
      d.notify();
      expectViolation(d.machine, /INDIRECT together with NEXT/);
    });

    it("INDIRECT without VIRTIO_F_INDIRECT_DESC negotiated", () => {
      const d = packedDevice();
      d.ready();
      d.writeDesc(0, { ...table(d, [VIRTQ_DESC_F_WRITE]), id: 0, flags: VIRTQ_DESC_F_INDIRECT | availBits(true) });
      d.notify();
      expectViolation(d.machine, /INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC negotiated/);
    });

    it("flags other than WRITE inside an indirect table", () => {
      const d = packedDevice();
      d.ready(INDIRECT_DESC);
      d.writeDesc(0, { ...table(d, [VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE]), id: 0, flags: VIRTQ_DESC_F_INDIRECT | availBits(true) });
      d.notify();
      expectViolation(d.machine, /indirect descriptor 0 has flags 0x1 \(only WRITE is allowed\)/);
    });
  });

  describe("available buffer notifications against the device event suppression structure", () => {
    it("a notification while the device says RING_EVENT_FLAGS_DISABLE", () => {
      const d = packedDevice();
      d.ready();
      d.queue().setDeviceEvent(d.model, "disable");
      new PackedTestDriver(d).add([WRITABLE]);
      d.notify();
      expectViolation(d.machine, /notification while the device event suppression flags are RING_EVENT_FLAGS_DISABLE/);
    });

    it("a notification before the descriptor at the DESC event offset was made available", () => {
      const d = packedDevice();
      d.ready(EVENT_IDX);
      d.queue().setDeviceEvent(d.model, "desc", 2);
      const driver = new PackedTestDriver(d);
      for (let i = 0; i < 3; i++) driver.add([WRITABLE]);
      d.notify();
      assertNoViolations(d.machine.violations);
      driver.collect();
      driver.add([WRITABLE]);
      d.notify();
      expectViolation(d.machine, /notification before the descriptor at the event offset 5 \(wrap 1\) was made available/);
    });
  });

  describe("the driver event suppression structure", () => {
    it("RING_EVENT_FLAGS_DESC without VIRTIO_F_EVENT_IDX, and the reserved value 3", () => {
      const d = packedDevice();
      d.ready();
      const driver = new PackedTestDriver(d);
      d.setDriverEvent(RING_EVENT_FLAGS_DESC);
      driver.add([WRITABLE]);
      d.notify();
      expectViolation(d.machine, /driver event suppression flags RING_EVENT_FLAGS_DESC without VIRTIO_F_EVENT_IDX/);
      d.machine.violations.clear();
      driver.collect();
      d.setDriverEvent(RING_EVENT_FLAGS_MASK);
      driver.add([WRITABLE]);
      d.notify();
      expectViolation(d.machine, /driver event suppression flags 0x3 \(reserved\)/);
    });

    it("an event offset beyond the queue", () => {
      const d = packedDevice();
      d.ready(EVENT_IDX);
      d.setDriverEvent(RING_EVENT_FLAGS_DESC, d.size + 1);
      new PackedTestDriver(d).add([WRITABLE]);
      d.notify();
      expectViolation(d.machine, /driver event offset 9 beyond the queue size 8/);
    });
  });

  describe("queue set-up (section 2.8 and 4.1.4.3)", () => {
    it.each([
      ["descriptor ring", { desc: 8, driver: 0, device: 0 }, /descriptor ring 0x[0-9a-f]+ not 16-aligned/],
      ["driver event suppression area", { desc: 0, driver: 2, device: 0 }, /driver event suppression 0x[0-9a-f]+ not 4-aligned/],
      ["device event suppression area", { desc: 0, driver: 0, device: 2 }, /device event suppression 0x[0-9a-f]+ not 4-aligned/],
    ])("a misaligned %s", (_, shift, pattern) => {
      const d = packedDevice();
      d.negotiate();
      d.setUpQueue({ desc: d.desc + shift.desc, driver: d.driverEvent + shift.driver, device: d.deviceEvent + 8 + shift.device });
      expectViolation(d.machine, pattern);
      expect(d.queue().enabled).toBe(false);
    });

    it.each(["pci", "mmio"] as const)("a queue size that is not a power of 2 without VIRTIO_F_RING_PACKED negotiated (%s)", (transport) => {
      const d = packedDevice({ transport });
      d.negotiate(0n, featureBit(VIRTIO_F.VERSION_1));
      d.setUpQueue(undefined, 6);
      expectViolation(d.machine, /queue 0: size 6 is not a power of 2 \(only packed queues, with VIRTIO_F_RING_PACKED negotiated, may be\)/);
    });

    it("a packed queue set up although the device did not offer VIRTIO_F_RING_PACKED", () => {
      const d = packedDevice({ model: (m, n) => new FillModel(m.memory, m.violations, n, {}) });
      d.negotiate();
      d.setUpQueue();
      expectViolation(d.machine, /driver accepted unoffered features 0x400000000[\s\S]*queue_size written before FEATURES_OK/);
    });
  });
});
