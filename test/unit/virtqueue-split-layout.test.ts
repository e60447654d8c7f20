// Where the parts of a split virtqueue sit (virtio 1.2 sections 2.7 and 2.7.2), computed here
// from the specification's sizes, independently of the driver's own layout code.
import { describe, expect, it } from "vitest";
import { splitRingLayout } from "../../drivers/virtio/ring/split-layout";

const DESCRIPTOR = 16;
/** flags + idx before the avail and used rings. */
const RING_HEADER = 4;
const USED_ELEMENT = 8;
/** Legacy interfaces: the used ring starts at the next 4096-byte boundary. */
const LEGACY_ALIGN = 4096;

const alignUp = (value: number, align: number) => Math.ceil(value / align) * align;

/** `contiguous`: one legacy area, whose size is the specification's virtq_size (both halves aligned). */
function specLayout(size: number, usedAlign: number, contiguous = false) {
  const avail = DESCRIPTOR * size;
  const usedEvent = avail + RING_HEADER + 2 * size;
  const used = alignUp(usedEvent + 2, usedAlign);
  const availEvent = used + RING_HEADER + USED_ELEMENT * size;
  return { desc: 0, avail, usedEvent, used, availEvent, totalSize: contiguous ? alignUp(availEvent + 2, usedAlign) : availEvent + 2 };
}

describe("split virtqueue layout", () => {
  it.each([1, 2, 8, 256, 32768])("modern, size %i: parts packed at the spec's 4-byte used alignment", (size) => {
    expect(splitRingLayout(size, { contiguous: false, align: 4096 })).toEqual(specLayout(size, 4));
  });

  it.each([1, 8, 128, 256, 1024])("legacy, size %i: the used ring at the next 4096 boundary", (size) => {
    const layout = splitRingLayout(size, { contiguous: true, align: LEGACY_ALIGN });
    expect(layout).toEqual(specLayout(size, LEGACY_ALIGN, true));
    expect(layout.used % LEGACY_ALIGN).toBe(0);
  });

  it("legacy, size 256: the numbers QEMU and Linux agree on", () => {
    // 256 * 16 = 4096 of descriptors, avail ring 4 + 512 (+2 used_event), used at 8192.
    expect(splitRingLayout(256, { contiguous: true, align: LEGACY_ALIGN })).toEqual({
      desc: 0,
      avail: 4096,
      usedEvent: 4096 + 4 + 512,
      used: 8192,
      availEvent: 8192 + 4 + 2048,
      totalSize: 8192 + 4096,
    });
  });

  it("modern: the used ring is padded to a 4-byte boundary only when needed", () => {
    // The avail ring (with used_event) ends at 48 + 4 + 6 + 2 = 60 for size 3 and 16 + 4 + 2 + 2 = 24
    // for size 1, both aligned; for size 2 at 32 + 4 + 4 + 2 = 42, padded to 44.
    expect(splitRingLayout(3, { contiguous: false, align: 4096 }).used).toBe(60);
    expect(splitRingLayout(1, { contiguous: false, align: 4096 }).used).toBe(24);
    expect(splitRingLayout(2, { contiguous: false, align: 4096 }).used).toBe(44);
  });
});
