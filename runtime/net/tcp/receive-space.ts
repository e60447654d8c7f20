import type { NetCounters } from "../counters";
import type { TcpOptions } from "./config";
import { FLAG_FIN, MAX_WINDOW_FIELD, MAX_WINDOW_SCALE } from "./header";
import { Inbound } from "./inbound";
import { OutOfOrderQueue } from "./out-of-order";
import type { ParsedSegment } from "./segment";
import { seqAdd, seqDiff, seqInWindow, seqMax } from "./seq";

/** Delayed ACK: acknowledge at least every second segment at once. */
export const SEGMENTS_PER_ACK = 2;

/**
 * The receive sequence space (RFC 9293 3.3.1): which arriving bytes are acceptable, reassembly
 * of out-of-order data, the window we advertise, and how many segments we owe an ACK for.
 */
export class ReceiveSpace {
  irs = 0;
  nxt = 0;
  /** Right edge of the window we advertised; it never moves left. */
  private edge = 0;
  private scale = 0;
  private remoteFin: number | null = null;
  finReceived = false;
  /** Segments received since our last ACK; urgent reasons count double. */
  owedAcks = 0;
  private dropArrivals = false;
  readonly inbound: Inbound;
  private readonly outOfOrder: OutOfOrderQueue;

  constructor(
    options: TcpOptions,
    private readonly ourMss: number,
    private readonly counters: NetCounters,
    /** The app took buffered bytes. */
    onConsumed: () => void,
  ) {
    this.inbound = new Inbound(options.receiveBufferBytes, onConsumed);
    this.outOfOrder = new OutOfOrderQueue(options.maxOutOfOrderSegments);
  }

  /** The app closed: data is acknowledged but dropped. */
  get appClosed(): boolean {
    return this.dropArrivals;
  }

  /** From the peer's SYN: its ISN, and the shift our window fields use. */
  synchronize(irs: number, scale: number): void {
    this.irs = irs;
    this.nxt = seqAdd(irs, 1);
    this.scale = scale;
    this.edge = seqAdd(this.nxt, this.space());
  }

  /** RFC 9293 3.10.7.4 first check, with RFC 9293's zero-window allowance for ACKs and RSTs. */
  acceptable(segment: ParsedSegment): boolean {
    const window = seqDiff(this.edge, this.nxt);
    const length = segment.seqLength;
    if (segment.seq === this.nxt) return true;
    if (window === 0) return false;
    if (seqInWindow(segment.seq, this.nxt, window)) return true;
    return length > 0 && seqInWindow(seqAdd(segment.seq, length - 1), this.nxt, window);
  }

  /**
   * Takes the in-window part of the payload (none unless `deliver`), in order or into the
   * out-of-order queue. Returns true when the peer's FIN is now next in sequence.
   */
  receive(segment: ParsedSegment, deliver: boolean): boolean {
    let { seq, payloadOffset: offset, payloadLength: length } = segment;
    if (segment.has(FLAG_FIN)) this.remoteFin = seqAdd(seq, length);
    if (!deliver) length = 0;
    const stale = seqDiff(this.nxt, seq);
    if (stale > 0) {
      const skip = Math.min(stale, length);
      offset += skip;
      length -= skip;
      seq = seqAdd(seq, skip);
    }
    length = Math.max(0, Math.min(length, seqDiff(this.edge, seq)));
    if (length > 0) {
      if (seq === this.nxt) {
        const filling = this.outOfOrder.size > 0;
        this.accept(segment.bytes, offset, length);
        this.nxt = this.outOfOrder.drain(this.nxt, (data, start, count) => this.accept(data, start, count));
        // A segment beyond our MSS was coalesced by the link from several: it owes an ACK at once.
        this.owedAcks += filling || length > this.ourMss ? SEGMENTS_PER_ACK : 1;
      } else {
        if (!this.outOfOrder.add(seq, segment.bytes, offset, length)) this.counters.drop("tcp.outOfOrderFull");
        // RFC 5681 4.2: out-of-order data is acknowledged at once, which the sender counts as a duplicate.
        this.owedAcks += SEGMENTS_PER_ACK;
      }
    } else if (segment.payloadLength > 0) {
      this.owedAcks += SEGMENTS_PER_ACK;
    }
    return this.remoteFin !== null && this.remoteFin === this.nxt && !this.finReceived;
  }

  /** The peer's FIN takes its sequence number and is acknowledged at once. */
  acceptFin(): void {
    this.finReceived = true;
    this.nxt = seqAdd(this.nxt, 1);
    this.owedAcks += SEGMENTS_PER_ACK;
  }

  /** The app will not read again: drop what is buffered and what arrives later. */
  discardInbound(): void {
    this.dropArrivals = true;
    this.inbound.onData(null);
    this.inbound.discard();
  }

  clearOutOfOrder(): void {
    this.outOfOrder.clear();
  }

  /**
   * The window field to send. Receiver silly-window avoidance (RFC 9293 3.8.6.2.2): the right
   * edge advances only by a full segment or half the buffer, and never retreats.
   */
  advertisedWindow(syn: boolean): number {
    const edge = seqAdd(this.nxt, this.space());
    if (seqDiff(edge, this.edge) >= this.updateStep() || this.inbound.free === this.inbound.capacity) this.edge = seqMax(this.edge, edge);
    const window = Math.max(0, seqDiff(this.edge, this.nxt));
    return syn ? Math.min(window, MAX_WINDOW_FIELD) : Math.min(window >>> this.scale, MAX_WINDOW_FIELD);
  }

  /** Whether reading opened the window by enough to be worth a window update. */
  windowOpened(): boolean {
    return seqDiff(seqAdd(this.nxt, this.space()), this.edge) >= this.updateStep();
  }

  private updateStep(): number {
    return Math.min(this.inbound.capacity / 2, this.ourMss);
  }

  /** Receive buffer space, as far as the 16-bit window field can express it. */
  private space(): number {
    return Math.min(this.inbound.free, MAX_WINDOW_FIELD << this.scale);
  }

  private accept(bytes: Uint8Array, offset: number, length: number): void {
    this.nxt = seqAdd(this.nxt, length);
    if (!this.dropArrivals) this.inbound.push(bytes, offset, length);
  }
}

/** Smallest shift that lets the field express the whole buffer (RFC 7323 2.2). */
export function windowScaleFor(bufferBytes: number): number {
  let shift = 0;
  while (shift < MAX_WINDOW_SCALE && bufferBytes >>> shift > MAX_WINDOW_FIELD) shift++;
  return shift;
}
