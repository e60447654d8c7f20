import { seqAdd, seqDiff, seqGe, seqLe, seqLt } from "./seq";

interface HeldSegment {
  seq: number;
  data: Uint8Array;
}

/**
 * Segments that arrived ahead of RCV.NXT, sorted by sequence number, kept until the gap before
 * them is filled. Bounded in count; the window bounds their bytes.
 */
export class OutOfOrderQueue {
  private readonly held: HeldSegment[] = [];

  constructor(private readonly maxSegments: number) {}

  get size(): number {
    return this.held.length;
  }

  /** Copies the data; returns false when it had to be dropped for lack of room. */
  add(seq: number, bytes: Uint8Array, offset: number, length: number): boolean {
    const end = seqAdd(seq, length);
    let index = 0;
    while (index < this.held.length && seqLt(this.held[index].seq, seq)) index++;
    const previous = this.held[index - 1];
    if (previous !== undefined && seqGe(seqAdd(previous.seq, previous.data.length), end)) return true;
    const next = this.held[index];
    if (next !== undefined && next.seq === seq && next.data.length >= length) return true;
    if (this.held.length >= this.maxSegments) return false;
    this.held.splice(index, 0, { seq, data: bytes.slice(offset, offset + length) });
    return true;
  }

  /**
   * Hands every held byte that now continues at `rcvNxt` to `deliver`, in order, dropping what
   * is already covered; returns the new RCV.NXT.
   */
  drain(rcvNxt: number, deliver: (data: Uint8Array, offset: number, length: number) => void): number {
    while (this.held.length > 0 && seqLe(this.held[0].seq, rcvNxt)) {
      const { seq, data } = this.held.shift() as HeldSegment;
      const skip = seqDiff(rcvNxt, seq);
      if (skip >= data.length) continue;
      deliver(data, skip, data.length - skip);
      rcvNxt = seqAdd(rcvNxt, data.length - skip);
    }
    return rcvNxt;
  }

  clear(): void {
    this.held.length = 0;
  }
}
