import { describe, expect, it } from "vitest";
import { bringUpPci } from "../harness/bring-up";
import { assertNoViolations } from "../sim/violations";
import { RngModel } from "../sim/virtio/rng-model";
import { VIRTQ_ALIGN, splitRingOffsets } from "../sim/virtio/spec/split-ring";

function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

describe("split ring placement the device sees (modern interface)", () => {
  // The driver keeps a queue's three parts in one DMA area; the specification's table gives each
  // part's size and minimum alignment, so each part starts right where those put it.
  it.each([2, 16, 64, 256, 1024])("packs a %i-entry queue's parts at the specification's alignments", (size) => {
    const { machine, model } = bringUpPci((memory, violations) => new RngModel(memory, violations, size), { queues: [{ maxSize: size }] });
    const queue = model.queues[0];
    const parts = splitRingOffsets(size);
    expect(queue.desc % VIRTQ_ALIGN.descriptorTable).toBe(0);
    expect(queue.driver).toBe(alignUp(queue.desc + parts.descriptorTableSize, VIRTQ_ALIGN.availableRing));
    expect(queue.device).toBe(alignUp(queue.driver + parts.availableRingSize, VIRTQ_ALIGN.usedRing));
    assertNoViolations(machine.violations);
  });
});
