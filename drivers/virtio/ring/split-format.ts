/** Split virtqueue format (virtio 1.2 section 2.7). */
export enum Desc {
  Size = 16,
  Addr = 0,
  Len = 8,
  Flags = 12,
  Next = 14,
}
export enum DescFlag {
  Next = 1,
  Write = 2,
  Indirect = 4,
}
export const AVAIL_NO_INTERRUPT = 1;
export const USED_NO_NOTIFY = 1;
export const RING_HEADER_SIZE = 4;
export const USED_ELEM_SIZE = 8;
export const MAX_QUEUE_SIZE = 32768;
export const ALIGN_DESC = 16;
export const ALIGN_AVAIL = 2;
export const ALIGN_USED = 4;
