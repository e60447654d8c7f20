import type { SpecTable } from "./field";

/** Split virtqueues (virtio 1.2 section 2.7). */
export const VIRTQ_MAX_SIZE = 32768;

/** struct virtq_desc: one 16-byte descriptor table entry. */
export const virtq_desc = {
  addr: { offset: 0, width: 8, access: "ro" },
  len: { offset: 8, width: 4, access: "ro" },
  flags: { offset: 12, width: 2, access: "ro" },
  next: { offset: 14, width: 2, access: "ro" },
} as const satisfies SpecTable;
export const VIRTQ_DESC_SIZE = 16;
export const VIRTQ_DESC_F = { NEXT: 1, WRITE: 2, INDIRECT: 4 } as const;

/** struct virtq_avail without its ring[] and trailing used_event (see splitRingOffsets). */
export const virtq_avail = {
  flags: { offset: 0, width: 2, access: "ro" },
  idx: { offset: 2, width: 2, access: "ro" },
} as const satisfies SpecTable;
export const VIRTQ_AVAIL_RING_OFFSET = 4;
export const VIRTQ_AVAIL_ELEM_SIZE = 2;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

/** struct virtq_used without its ring[] and trailing avail_event (see splitRingOffsets). */
export const virtq_used = {
  flags: { offset: 0, width: 2, access: "rw" },
  idx: { offset: 2, width: 2, access: "rw" },
} as const satisfies SpecTable;
export const VIRTQ_USED_RING_OFFSET = 4;
export const VIRTQ_USED_F_NO_NOTIFY = 1;

/** struct virtq_used_elem. */
export const virtq_used_elem = {
  id: { offset: 0, width: 4, access: "rw" },
  len: { offset: 4, width: 4, access: "rw" },
} as const satisfies SpecTable;
export const VIRTQ_USED_ELEM_SIZE = 8;

/** Minimum alignment of each part of a split virtqueue (section 2.7, the table). */
export const VIRTQ_ALIGN = { descriptorTable: 16, availableRing: 2, usedRing: 4 } as const;

/** Where a queue of `queueSize` entries keeps its variable-position fields, relative to each part. */
export interface SplitRingOffsets {
  readonly descriptorTableSize: number;
  /** avail.used_event, after ring[] (relative to the available ring). */
  readonly usedEvent: number;
  readonly availableRingSize: number;
  /** used.avail_event, at the end of the used ring (relative to the used ring). */
  readonly availEvent: number;
  readonly usedRingSize: number;
}

/** Sizes of the three parts and offsets of used_event / avail_event (section 2.7 table, 2.7.6, 2.7.8). */
export function splitRingOffsets(queueSize: number): SplitRingOffsets {
  const usedEvent = VIRTQ_AVAIL_RING_OFFSET + VIRTQ_AVAIL_ELEM_SIZE * queueSize;
  const availEvent = VIRTQ_USED_RING_OFFSET + VIRTQ_USED_ELEM_SIZE * queueSize;
  return {
    descriptorTableSize: VIRTQ_DESC_SIZE * queueSize,
    usedEvent,
    availableRingSize: usedEvent + 2,
    availEvent,
    usedRingSize: availEvent + 2,
  };
}

/** Offsets of the three parts inside one legacy queue area (section 2.7.2). */
export interface LegacyRingLayout {
  readonly descriptorTable: number;
  readonly availableRing: number;
  readonly usedRing: number;
  /** Where the used ring (with avail_event) ends: the bytes a device reaches. */
  readonly usedEnd: number;
  /** Bytes the specification's virtq_size formula asks the driver to allocate. */
  readonly totalSize: number;
}

function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/**
 * The legacy layout: descriptor table, available ring, padding to the next Queue Align
 * boundary, used ring. (The specification's ALIGN macro adds qalign where it means qalign - 1;
 * this is the rounding it intends.)
 */
export function legacyRingLayout(queueSize: number, queueAlign: number): LegacyRingLayout {
  const parts = splitRingOffsets(queueSize);
  const usedRing = alignUp(parts.descriptorTableSize + parts.availableRingSize, queueAlign);
  return {
    descriptorTable: 0,
    availableRing: parts.descriptorTableSize,
    usedRing,
    usedEnd: usedRing + parts.usedRingSize,
    totalSize: usedRing + alignUp(parts.usedRingSize, queueAlign),
  };
}

/**
 * Whether moving an index from `old_idx` to `new_idx` passes `event_idx` (sections 2.7.7.2 and
 * 2.7.10; the specification's virtio_queue.h calls it virtq_need_event): all three are
 * free-running 16-bit counters.
 */
export function virtq_need_event(event_idx: number, new_idx: number, old_idx: number): boolean {
  return ((new_idx - event_idx - 1) & 0xffff) < ((new_idx - old_idx) & 0xffff);
}
