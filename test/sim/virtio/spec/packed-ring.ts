import type { SpecTable } from "./field";

/** Packed virtqueues (virtio 1.2 section 2.8). Queue sizes up to 2^15, not necessarily powers of 2. */
export const PVIRTQ_MAX_SIZE = 32768;

/** struct pvirtq_desc: one 16-byte descriptor ring entry (section 2.8, The Virtqueue Descriptor Format), written by both sides. */
export const pvirtq_desc = {
  addr: { offset: 0, width: 8, access: "rw" },
  len: { offset: 8, width: 4, access: "rw" },
  id: { offset: 12, width: 2, access: "rw" },
  flags: { offset: 14, width: 2, access: "rw" },
} as const satisfies SpecTable;
export const PVIRTQ_DESC_SIZE = 16;

/** Descriptor flags (section 2.8: Ring Wrap Counters, Write Flag, Next Flag, Indirect Flag). */
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_DESC_F_AVAIL = 1 << 7;
export const VIRTQ_DESC_F_USED = 1 << 15;

/** struct pvirtq_event_suppress (section 2.8, Event Suppression Structure Format): the driver area and the device area each hold one. */
export const pvirtq_event_suppress = {
  /** desc_event_off (bits 0-14) and desc_event_wrap (bit 15). */
  desc: { offset: 0, width: 2, access: "rw" },
  /** desc_event_flags (bits 0-1); bits 2-15 reserved, 0. */
  flags: { offset: 2, width: 2, access: "rw" },
} as const satisfies SpecTable;
export const PVIRTQ_EVENT_SUPPRESS_SIZE = 4;
export const PVIRTQ_EVENT_WRAP_SHIFT = 15;
export const PVIRTQ_EVENT_OFF_MASK = (1 << PVIRTQ_EVENT_WRAP_SHIFT) - 1;
export const RING_EVENT_FLAGS_MASK = 0x3;

/** desc_event_flags values (section 2.8, Driver and Device Event Suppression); 3 is reserved. DESC only with VIRTIO_F_EVENT_IDX. */
export const RING_EVENT_FLAGS_ENABLE = 0x0;
export const RING_EVENT_FLAGS_DISABLE = 0x1;
export const RING_EVENT_FLAGS_DESC = 0x2;

/** Minimum alignment of each part of a packed virtqueue (section 2.8, Structure Size and Alignment). */
export const PVIRTQ_ALIGN = { descriptorRing: 16, driverEventSuppression: 4, deviceEventSuppression: 4 } as const;
