import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED, VIRTQ_DESC_F_WRITE } from "../sim/virtio/spec/packed-ring";
import { PackedTestDriver, packedDevice, usedBits } from "./sim-packed-harness";

const WRITABLE = { len: 64, write: true } as const;
const WRAP_BITS = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;

/** A device on a packed ring misbehaving on purpose: what the driver then finds in the ring. */
describe("packed ring device faults", () => {
  const setUp = () => {
    const d = packedDevice();
    d.ready();
    return { d, driver: new PackedTestDriver(d) };
  };

  it("used id out of range", () => {
    const { d, driver } = setUp();
    d.model.faults.usedId = "out-of-range";
    const id = driver.add([WRITABLE]);
    d.notify();
    expect(d.readDesc(0).id).toBe(d.size + id);
    assertNoViolations(d.machine.violations);
  });

  it("used id of a buffer not in flight", () => {
    const { d, driver } = setUp();
    d.model.faults.usedId = "not-in-flight";
    const id = driver.add([WRITABLE]);
    d.notify();
    const used = d.readDesc(0).id;
    expect(used).not.toBe(id);
    expect(driver.inFlight.map((b) => b.id)).not.toContain(used);
  });

  it("each completion reported twice", () => {
    const { d, driver } = setUp();
    d.model.faults.usedId = "repeat";
    const id = driver.add([WRITABLE]);
    d.notify();
    expect([d.readDesc(0).id, d.readDesc(1).id]).toEqual([id, id]);
    expect(d.readDesc(1).flags & WRAP_BITS).toBe(usedBits(true));
  });

  it("used length larger than the writable bytes", () => {
    const { d, driver } = setUp();
    d.model.faults.usedLengthExtra = 100;
    driver.add([WRITABLE]);
    d.notify();
    expect(driver.collect()[0].len).toBe(WRITABLE.len + 100);
  });

  it.each([
    ["inverted", 0],
    ["mismatched", VIRTQ_DESC_F_AVAIL],
  ] as const)("used descriptors with wrong wrap bits (%s)", (fault, bits) => {
    const { d, driver } = setUp();
    d.model.faults.usedWrapBits = fault;
    driver.add([WRITABLE]);
    d.notify();
    expect(d.readDesc(0).flags).toBe(bits | VIRTQ_DESC_F_WRITE);
    expect(driver.collect()).toEqual([]);
  });

  it("a used entry ahead of what was made available", () => {
    const { d, driver } = setUp();
    d.model.faults.usedAhead = true;
    driver.add([WRITABLE]);
    d.notify();
    expect(d.readDesc(1).flags & WRAP_BITS).toBe(usedBits(true));
    expect(d.queue().used.position).toBe(2);
    expect(driver.position).toBe(1);
  });

  it("a stalled device counts notifications and uses nothing until it recovers", () => {
    const { d, driver } = setUp();
    d.model.faults.stalled = true;
    driver.add([WRITABLE]);
    d.notify();
    expect(d.queue().notifications).toBe(1);
    expect(driver.collect()).toEqual([]);
    d.model.faults.stalled = false;
    d.model.poll(0);
    expect(driver.collect()).toHaveLength(1);
    assertNoViolations(d.machine.violations);
  });
});
