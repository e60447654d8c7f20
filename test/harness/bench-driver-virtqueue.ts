import { DmaSlab } from "../../kernel/dma";
import type { Platform } from "../../kernel/platform";
import { SplitVirtqueue } from "../../drivers/virtio/ring/split";

const QUEUE_SIZE = 256;
const BUFFER_BYTES = 16;
/** Split ring offsets the stand-in device needs (virtio 1.2 section 2.7): ring[] after flags and idx. */
const RING_HEADER = 4;
const USED_ELEMENT = 8;
const IDX = 2;

/**
 * The driver's side of a split-ring round trip alone: submit + kick + complete, with the device
 * reduced to the few memory writes that return a buffer (no simulated device, no register
 * accesses), so the figure is the driver's own cost. Runs under Node (over the simulator's
 * memory) and in the guest. `view(physical, length)` gives the ring memory the device writes.
 */
export function benchDriverRoundTrip(
  platform: Platform,
  view: (physical: number, length: number) => DataView,
  iterations: number,
  nowNs: () => number,
): number {
  const queue = new SplitVirtqueue<number>(platform, { notify: () => {} }, {
    deviceName: "bench",
    index: 0,
    size: QUEUE_SIZE,
    placement: { contiguous: false, align: 16 },
    eventIdx: false,
    inOrder: false,
    indirectEntries: 0,
  });
  const avail = view(queue.addresses.driverArea, RING_HEADER + 2 * QUEUE_SIZE + 2);
  const used = view(queue.addresses.deviceArea, RING_HEADER + USED_ELEMENT * QUEUE_SIZE + 2);
  const slab = new DmaSlab(platform, QUEUE_SIZE, BUFFER_BYTES);
  let usedIdx = 0;
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const slot = i & (QUEUE_SIZE - 1);
      queue.begin();
      queue.addWritable(slab.physical(slot), BUFFER_BYTES);
      queue.publish(slot);
      queue.kick();
      const entry = usedIdx & (QUEUE_SIZE - 1);
      used.setUint32(RING_HEADER + USED_ELEMENT * entry, avail.getUint16(RING_HEADER + 2 * entry, true), true);
      used.setUint32(RING_HEADER + USED_ELEMENT * entry + 4, BUFFER_BYTES, true);
      usedIdx = (usedIdx + 1) & 0xffff;
      used.setUint16(IDX, usedIdx, true);
      if (!queue.nextCompletion()) throw new Error("the driver took no completion");
    }
  };
  run(Math.min(iterations, 10_000));
  const start = nowNs();
  run(iterations);
  return (nowNs() - start) / iterations;
}
