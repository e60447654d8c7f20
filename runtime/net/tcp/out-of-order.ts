import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from "./seq";

interface HeldSegment {
  seq: number;
  data: Uint8Array;
}

function endOf(segment: HeldSegment): number {
  return seqAdd(segment.seq, segment.data.length);
}

/**
 * Data that arrived ahead of RCV.NXT, kept until the gap before it is filled: sorted ranges that
 * never overlap or touch (an arrival that overlaps or meets held ranges is merged with them), so
 * the bytes held never exceed the receive window the caller clamps arrivals to, however the
 * peer slices and repeats its segments. Bounded in ranges too.
 */
export class OutOfOrderQueue {
  private readonly held: HeldSegment[] = [];
  private heldBytes = 0;

  constructor(private readonly maxSegments: number) {}

  /** Separate ranges held. */
  get size(): number {
    return this.held.length;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Copies the data; returns false when it had to be dropped for lack of room. */
  add(seq: number, bytes: Uint8Array, offset: number, length: number): boolean {
    if (length <= 0) return true;
    const end = seqAdd(seq, length);
    const held = this.held;
    let first = 0;
    while (first < held.length && seqLt(endOf(held[first]), seq)) first++;
    let last = first;
    while (last < held.length && seqLe(held[last].seq, end)) last++;
    if (first === last) {
      if (held.length >= this.maxSegments) return false;
      held.splice(first, 0, { seq, data: bytes.slice(offset, offset + length) });
      this.heldBytes += length;
      return true;
    }
    const lower = held[first];
    if (last - first === 1 && seqLe(lower.seq, seq) && seqLe(end, endOf(lower))) return true;
    const start = seqLt(lower.seq, seq) ? lower.seq : seq;
    const upperEnd = endOf(held[last - 1]);
    const mergedEnd = seqGt(upperEnd, end) ? upperEnd : end;
    const data = new Uint8Array(seqDiff(mergedEnd, start));
    for (let i = first; i < last; i++) {
      data.set(held[i].data, seqDiff(held[i].seq, start));
      this.heldBytes -= held[i].data.length;
    }
    data.set(bytes.subarray(offset, offset + length), seqDiff(seq, start));
    held.splice(first, last - first, { seq: start, data });
    this.heldBytes += data.length;
    return true;
  }

  /**
   * Hands every held byte that now continues at `rcvNxt` to `deliver`, in order, dropping what
   * is already covered; returns the new RCV.NXT.
   */
  drain(rcvNxt: number, deliver: (data: Uint8Array, offset: number, length: number) => void): number {
    while (this.held.length > 0 && seqLe(this.held[0].seq, rcvNxt)) {
      const { seq, data } = this.held.shift() as HeldSegment;
      this.heldBytes -= data.length;
      const skip = seqDiff(rcvNxt, seq);
      if (skip >= data.length) continue;
      deliver(data, skip, data.length - skip);
      rcvNxt = seqAdd(rcvNxt, data.length - skip);
    }
    return rcvNxt;
  }

  clear(): void {
    this.held.length = 0;
    this.heldBytes = 0;
  }
}
