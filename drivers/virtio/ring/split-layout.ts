import { ALIGN_USED, Desc, RING_HEADER_SIZE, USED_ELEM_SIZE } from "./split-format";
import type { RingPlacement } from "../transport/transport";

/** Byte offsets of a split ring's parts inside one DMA area. */
export interface RingLayout {
  readonly desc: number;
  readonly avail: number;
  /** avail.used_event, written by the driver (EVENT_IDX). */
  readonly usedEvent: number;
  readonly used: number;
  /** used.avail_event, written by the device (EVENT_IDX). */
  readonly availEvent: number;
  readonly totalSize: number;
}

function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/**
 * Trailing event fields are always reserved so either EVENT_IDX setting fits. A contiguous
 * (legacy) area is the specification's virtq_size: both halves rounded up to the alignment.
 */
export function splitRingLayout(size: number, placement: RingPlacement): RingLayout {
  const avail = size * Desc.Size;
  const usedEvent = avail + RING_HEADER_SIZE + 2 * size;
  const used = alignUp(usedEvent + 2, placement.contiguous ? placement.align : ALIGN_USED);
  const availEvent = used + RING_HEADER_SIZE + USED_ELEM_SIZE * size;
  const usedEnd = availEvent + 2;
  return { desc: 0, avail, usedEvent, used, availEvent, totalSize: placement.contiguous ? alignUp(usedEnd, placement.align) : usedEnd };
}
