/**
 * Whether moving an index from `oldIdx` to `newIdx` crosses `eventIdx` (the other side's
 * "tell me when you pass this" value). All three are free-running u16 counters.
 */
export function vringNeedEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}
