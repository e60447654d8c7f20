import { DEFAULT_PEER_MSS } from "./header";
import { RingBuffer } from "./ring-buffer";
import type { ParsedSegment } from "./segment";
import { seqAdd, seqDiff, seqLe, seqLt, seqMax } from "./seq";

interface PendingWrite {
  readonly bytes: Uint8Array;
  offset: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The send sequence space (RFC 9293 3.3.1) and the bytes behind it: data in `buffer` starts at
 * `bufferStart` and the FIN follows it; writes that do not fit wait in line.
 */
export class SendSpace {
  una: number;
  nxt: number;
  /** Highest sequence number sent plus one; `nxt` falls below it after a timeout. */
  max: number;
  wnd = 0;
  private wl1 = 0;
  private wl2 = 0;
  /** Largest window the peer ever offered. */
  maxWnd = 0;
  scale = 0;
  mss = DEFAULT_PEER_MSS;
  bufferStart: number;
  readonly buffer: RingBuffer;
  private readonly writers: PendingWrite[] = [];
  synAcked = false;
  finQueued = false;
  finAcked = false;

  constructor(
    readonly iss: number,
    bufferBytes: number,
  ) {
    this.una = this.nxt = this.max = iss;
    this.bufferStart = seqAdd(iss, 1);
    this.buffer = new RingBuffer(bufferBytes);
  }

  /** Bytes written but not yet acknowledged by the peer. */
  get bufferedAmount(): number {
    return this.buffer.length + this.writers.reduce((sum, w) => sum + w.bytes.length - w.offset, 0);
  }

  get flightSize(): number {
    return seqDiff(this.nxt, this.una);
  }

  /** Buffered bytes at and after `nxt`; negative while `nxt` covers a FIN or a window probe. */
  get unsent(): number {
    return this.buffer.length - seqDiff(this.nxt, this.bufferStart);
  }

  /** The FIN's sequence number, right after the buffered data. */
  get finSeq(): number {
    return seqAdd(this.bufferStart, this.buffer.length);
  }

  /** The app ended its side and every write is in the buffer. */
  get finReady(): boolean {
    return this.finQueued && this.writers.length === 0;
  }

  /** Buffers what fits; the promise resolves once all of `bytes` is in the buffer. */
  write(bytes: Uint8Array): Promise<void> {
    const offset = this.writers.length === 0 ? this.buffer.write(bytes, 0, bytes.length) : 0;
    if (offset === bytes.length) return Promise.resolve();
    return new Promise((resolve, reject) => this.writers.push({ bytes, offset, resolve, reject }));
  }

  /** Moves SND.NXT to `seq`, and SND.MAX with it when that is new ground. */
  advance(seq: number): void {
    this.nxt = seq;
    this.max = seqMax(this.max, seq);
  }

  /** From the peer's SYN: its MSS, window and window scale. */
  synchronize(segment: ParsedSegment, mss: number, scale: number): void {
    this.mss = mss;
    this.scale = scale;
    // The window in a SYN is never scaled.
    this.wnd = this.maxWnd = segment.window;
    this.wl1 = segment.seq;
    this.wl2 = segment.ack;
  }

  /** New data (or our SYN or FIN) was acknowledged up to `ack`; returns the data bytes acked. */
  acknowledge(ack: number): number {
    let count = seqDiff(ack, this.una);
    if (!this.synAcked) {
      this.synAcked = true;
      count--;
    }
    const data = Math.min(count, this.buffer.length);
    this.buffer.discard(data);
    this.bufferStart = seqAdd(this.bufferStart, data);
    if (count > data) this.finAcked = true;
    this.una = ack;
    if (seqLt(this.nxt, ack)) this.nxt = ack;
    return data;
  }

  /** RFC 9293 3.10.7.4: takes the window from segments no older than the last update; true if it did. */
  updateWindow(segment: ParsedSegment): boolean {
    if (!(seqLt(this.wl1, segment.seq) || (this.wl1 === segment.seq && seqLe(this.wl2, segment.ack)))) return false;
    this.wnd = segment.window << this.scale;
    this.maxWnd = Math.max(this.maxWnd, this.wnd);
    this.wl1 = segment.seq;
    this.wl2 = segment.ack;
    return true;
  }

  /** Moves waiting writes into the space acknowledgments freed. */
  admitWriters(): void {
    while (this.writers.length > 0 && this.buffer.free > 0) {
      const writer = this.writers[0];
      writer.offset += this.buffer.write(writer.bytes, writer.offset, writer.bytes.length - writer.offset);
      if (writer.offset < writer.bytes.length) break;
      this.writers.shift();
      writer.resolve();
    }
  }

  /** Rejects every waiting write; the error is only built when one waits (most closes have none). */
  failWriters(error: () => Error): void {
    if (this.writers.length === 0) return;
    const reason = error();
    for (const writer of this.writers.splice(0)) writer.reject(reason);
  }
}
