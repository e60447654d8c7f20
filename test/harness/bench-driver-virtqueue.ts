import { DmaSlab } from "../../kernel/dma";
import type { Platform } from "../../kernel/platform";
import { PackedVirtqueue } from "../../drivers/virtio/ring/packed";
import { SplitVirtqueue } from "../../drivers/virtio/ring/split";
import type { RingLayoutKind, VirtqueueOptions } from "../../drivers/virtio/ring/virtqueue";

const QUEUE_SIZE = 256;
const BUFFER_BYTES = 16;
/** Split ring offsets the stand-in device needs (virtio 1.2 section 2.7): ring[] after flags and idx. */
const RING_HEADER = 4;
const USED_ELEMENT = 8;
const IDX = 2;
/** Packed ring (virtio 1.2 section 2.8): a descriptor's len and flags, and the AVAIL/USED flag bits. */
const PACKED_DESC = 16;
const PACKED_LEN = 8;
const PACKED_FLAGS = 14;
const F_AVAIL = 1 << 7;
const F_USED = 1 << 15;

/**
 * The device's side, reduced to the memory writes that hand the one buffer in flight back with
 * BUFFER_BYTES written, at the device's own position in the ring.
 */
type StandIn = () => void;

function splitStandIn(queue: SplitVirtqueue<number>, view: (physical: number, length: number) => DataView): StandIn {
  const avail = view(queue.addresses.driverArea, RING_HEADER + 2 * QUEUE_SIZE + 2);
  const used = view(queue.addresses.deviceArea, RING_HEADER + USED_ELEMENT * QUEUE_SIZE + 2);
  let usedIdx = 0;
  return () => {
    const entry = usedIdx & (QUEUE_SIZE - 1);
    used.setUint32(RING_HEADER + USED_ELEMENT * entry, avail.getUint16(RING_HEADER + 2 * entry, true), true);
    used.setUint32(RING_HEADER + USED_ELEMENT * entry + 4, BUFFER_BYTES, true);
    usedIdx = (usedIdx + 1) & 0xffff;
    used.setUint16(IDX, usedIdx, true);
  };
}

function packedStandIn(queue: PackedVirtqueue<number>, view: (physical: number, length: number) => DataView): StandIn {
  const ring = view(queue.addresses.descriptorArea, QUEUE_SIZE * PACKED_DESC);
  let slot = 0;
  let wrap = 1;
  return () => {
    // One single-descriptor buffer at a time: it sits at the device's position, its id in place.
    ring.setUint32(slot * PACKED_DESC + PACKED_LEN, BUFFER_BYTES, true);
    ring.setUint16(slot * PACKED_DESC + PACKED_FLAGS, wrap === 1 ? F_AVAIL | F_USED : 0, true);
    if (++slot === QUEUE_SIZE) {
      slot = 0;
      wrap ^= 1;
    }
  };
}

/**
 * The driver's side of a virtqueue round trip alone: submit + kick + complete, with the device
 * reduced to the few memory writes that return a buffer (no simulated device, no register
 * accesses), so the figure is the driver's own cost. Runs under Node (over the simulator's
 * memory) and in the guest. `view(physical, length)` gives the ring memory the device writes.
 */
export function benchDriverRoundTrip(
  platform: Platform,
  view: (physical: number, length: number) => DataView,
  iterations: number,
  nowNs: () => number,
  layout: RingLayoutKind = "split",
): number {
  const options: VirtqueueOptions = { deviceName: "bench", index: 0, size: QUEUE_SIZE, eventIdx: false, inOrder: false, indirectEntries: 0 };
  const notifier = { notify: () => {} };
  let queue: SplitVirtqueue<number> | PackedVirtqueue<number>;
  let device: StandIn;
  if (layout === "split") {
    const split = new SplitVirtqueue<number>(platform, notifier, { ...options, placement: { contiguous: false, align: 16 } });
    queue = split;
    device = splitStandIn(split, view);
  } else {
    const packed = new PackedVirtqueue<number>(platform, notifier, options);
    queue = packed;
    device = packedStandIn(packed, view);
  }
  const slab = new DmaSlab(platform, QUEUE_SIZE, BUFFER_BYTES);
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const slot = i & (QUEUE_SIZE - 1);
      queue.begin();
      queue.addWritable(slab.physical(slot), BUFFER_BYTES);
      queue.publish(slot);
      queue.kick();
      device();
      if (!queue.nextCompletion()) throw new Error("the driver took no completion");
    }
  };
  run(Math.min(iterations, 10_000));
  const start = nowNs();
  run(iterations);
  const nsPerOp = (nowNs() - start) / iterations;
  queue.destroy();
  slab.free();
  return nsPerOp;
}
