/** Packed virtqueue format (virtio 1.2 section 2.8). */

/** struct pvirtq_desc: le64 addr, le32 len, le16 id, le16 flags. */
export enum PackedDesc {
  Size = 16,
  Addr = 0,
  Len = 8,
  Id = 12,
  Flags = 14,
}

/** Descriptor flags: VIRTQ_DESC_F_NEXT/WRITE/INDIRECT and the packed VIRTQ_DESC_F_AVAIL/USED. */
export enum PackedDescFlag {
  Next = 1,
  Write = 2,
  Indirect = 4,
  Avail = 1 << 7,
  Used = 1 << 15,
}

/** struct pvirtq_event_suppress: le16 desc (desc_event_off:15, desc_event_wrap:1), le16 flags. */
export enum EventSuppress {
  Size = 4,
  Desc = 0,
  Flags = 2,
}

/** desc_event_wrap's position in `desc`; desc_event_off is the bits below it. */
export const DESC_EVENT_WRAP_SHIFT = 15;
export const DESC_EVENT_OFF_MASK = (1 << DESC_EVENT_WRAP_SHIFT) - 1;
/** desc_event_flags occupy the low two bits of `flags`. */
export const DESC_EVENT_FLAGS_MASK = 3;

/** desc_event_flags values: RING_EVENT_FLAGS_ENABLE/DISABLE/DESC. */
export enum RingEventFlags {
  Enable = 0,
  Disable = 1,
  Desc = 2,
}

export const MAX_PACKED_QUEUE_SIZE = 32768;
/** Alignment of the descriptor ring and of the two event suppression structures. */
export const ALIGN_PACKED_DESC = 16;
export const ALIGN_EVENT_SUPPRESS = 4;
