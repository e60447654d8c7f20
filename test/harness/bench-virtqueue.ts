import { FeatureBit, feature } from "../../drivers/virtio/features";
import { DmaSlab } from "../../kernel/dma";
import { bringUpPci } from "./bring-up";
import { RngModel } from "../sim/virtio/rng-model";

export type RingLayout = "split" | "packed";

const QUEUE_SIZE = 256;
const BUFFER_BYTES = 16;

/**
 * Driver-side submit + kick + complete round trip through a simulated modern virtio-rng, on a
 * split or a packed ring
 * (which completes synchronously on notify). Returns nanoseconds per operation; the figure
 * includes the simulated device's own work. Runs under Node and in the guest (`nowNs` is the clock).
 */
export function benchRoundTrip(iterations: number, nowNs: () => number, layout: RingLayout = "split"): number {
  const packed = layout === "packed";
  const { machine, queues } = bringUpPci((memory, violations) => new RngModel(memory, violations, QUEUE_SIZE, { packed }), {
    features: packed ? feature(FeatureBit.RingPacked) : 0n,
  });
  const queue = queues[0];
  const slab = new DmaSlab(machine, QUEUE_SIZE, BUFFER_BYTES);
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      const slot = i & (QUEUE_SIZE - 1);
      queue.begin();
      queue.addWritable(slab.physical(slot), BUFFER_BYTES);
      queue.publish(slot);
      queue.kick();
      queue.nextCompletion();
    }
  };
  run(Math.min(iterations, 10_000));
  const start = nowNs();
  run(iterations);
  const elapsed = nowNs() - start;
  if (queue.broken !== undefined || queue.lengthClamps !== 0 || machine.violations.entries.length !== 0) throw new Error("benchmark run was not clean");
  return elapsed / iterations;
}
