import type { Ipv4Address } from "../address";
import { reportCallbackError } from "../errors";
import type { Scheduler } from "../scheduler";
import type { KeepAliveOptions, TcpOptions } from "./config";
import type { TcpCounters } from "./counters";
import { Deadline } from "./deadline";
import { TcpError } from "./errors";
import {
  DEFAULT_PEER_MSS,
  FLAG_ACK,
  FLAG_FIN,
  FLAG_PSH,
  FLAG_RST,
  FLAG_SYN,
  MAX_WINDOW_FIELD,
  MAX_WINDOW_SCALE,
} from "./header";
import { Inbound } from "./inbound";
import { OutOfOrderQueue } from "./out-of-order";
import { RingBuffer } from "./ring-buffer";
import { RttEstimator } from "./rtt";
import { OPTION_ABSENT, buildSegment, type ParsedSegment } from "./segment";
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax } from "./seq";
import { acceptsData, canSendData, type TcpState } from "./state";

/** What a connection needs from the TCP layer that owns it. */
export interface ConnectionHost {
  readonly scheduler: Scheduler;
  readonly counters: TcpCounters;
  readonly options: TcpOptions;
  /** Largest segment payload our link carries unfragmented. */
  readonly ourMss: number;
  transmit(destination: Ipv4Address, segment: Uint8Array): void;
  /** The handshake completed. */
  established(connection: TcpConnection): void;
  /** The connection reached CLOSED; `error` when it failed. */
  released(connection: TcpConnection, error: TcpError | null): void;
}

export interface Endpoints {
  readonly localAddress: Ipv4Address;
  readonly localPort: number;
  readonly remoteAddress: Ipv4Address;
  readonly remotePort: number;
}

interface PendingWrite {
  readonly bytes: Uint8Array;
  offset: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** RFC 6928 initial congestion window, in segments. */
const INITIAL_WINDOW_SEGMENTS = 10;
/** RFC 5681: fast retransmit on the third duplicate ACK. */
const DUPLICATE_ACK_THRESHOLD = 3;
/** RFC 5681 minimum ssthresh after loss, in segments. */
const MIN_SSTHRESH_SEGMENTS = 2;
/** Delayed ACK: acknowledge at least every second segment at once. */
const SEGMENTS_PER_ACK = 2;
/** Sender silly-window avoidance sends a fraction of the largest window the peer offered. */
const SWS_WINDOW_FRACTION = 2;
const NO_SSTHRESH = Number.MAX_SAFE_INTEGER;
const encoder = new TextEncoder();

/**
 * One TCP connection: the RFC 9293 state machine with RFC 6298 timers, RFC 5681 congestion
 * control with fast retransmit/recovery, flow control and the app-facing stream API.
 */
export class TcpConnection implements AsyncIterable<Uint8Array> {
  readonly localAddress: Ipv4Address;
  readonly localPort: number;
  readonly remoteAddress: Ipv4Address;
  readonly remotePort: number;
  private currentState: TcpState;

  // Send sequence space. Data in sendBuffer starts at bufferStart; the FIN follows it.
  private readonly iss: number;
  private sndUna: number;
  private sndNxt: number;
  /** Highest sequence number sent plus one; sndNxt falls below it after a timeout. */
  private sndMax: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  private sndScale = 0;
  private sendMss = DEFAULT_PEER_MSS;
  /** Both sides offered window scaling. */
  private windowScaling = false;
  private bufferStart: number;
  private readonly sendBuffer: RingBuffer;
  private readonly writers: PendingWrite[] = [];
  private synAcked = false;
  private finQueued = false;
  private finAcked = false;
  private outputScheduled = false;

  // Receive sequence space.
  private irs = 0;
  private rcvNxt = 0;
  /** Right edge of the window we advertised; it never moves left. */
  private rcvEdge = 0;
  private rcvScale = 0;
  private remoteFin: number | null = null;
  private finReceived = false;
  private readonly inbound: Inbound;
  private readonly outOfOrder: OutOfOrderQueue;
  private unackedSegments = 0;
  private appClosed = false;

  // Congestion control and timing.
  private cwnd = 0;
  private ssthresh = NO_SSTHRESH;
  private duplicateAcks = 0;
  private recovery: number | null = null;
  private readonly rtt: RttEstimator;
  private timedSeq: number | null = null;
  private timedAt = 0;
  private consecutiveTimeouts = 0;
  private persistBackoffs = 0;
  private nagle: boolean;
  private keepAlive: KeepAliveOptions | null = null;
  private keepAliveProbes = 0;

  private readonly retransmitTimer: Deadline;
  private readonly persistTimer: Deadline;
  private readonly delayedAckTimer: Deadline;
  private readonly keepAliveTimer: Deadline;
  /** TIME_WAIT, or FIN_WAIT_2 after the app closed. */
  private readonly lingerTimer: Deadline;

  private readonly closeHandlers: (() => void)[] = [];
  private readonly errorHandlers: ((error: TcpError) => void)[] = [];
  private closeReported = false;

  constructor(
    private readonly host: ConnectionHost,
    endpoints: Endpoints,
    iss: number,
    state: "SYN_SENT" | "SYN_RECEIVED",
  ) {
    ({ localAddress: this.localAddress, localPort: this.localPort, remoteAddress: this.remoteAddress, remotePort: this.remotePort } = endpoints);
    const { options, scheduler } = host;
    this.currentState = state;
    this.iss = iss;
    this.sndUna = this.sndNxt = this.sndMax = iss;
    this.bufferStart = seqAdd(iss, 1);
    this.sendBuffer = new RingBuffer(options.sendBufferBytes);
    this.inbound = new Inbound(options.receiveBufferBytes, () => this.windowMayHaveOpened());
    this.outOfOrder = new OutOfOrderQueue(options.maxOutOfOrderSegments);
    this.rtt = new RttEstimator(options.initialRtoMs, options.minRtoMs, options.maxRtoMs);
    this.nagle = options.nagle;
    this.retransmitTimer = new Deadline(scheduler, () => this.retransmitTimeout());
    this.persistTimer = new Deadline(scheduler, () => this.probeWindow());
    this.delayedAckTimer = new Deadline(scheduler, () => this.sendAck());
    this.keepAliveTimer = new Deadline(scheduler, () => this.keepAliveTimeout());
    this.lingerTimer = new Deadline(scheduler, () => this.terminate(null));
  }

  get state(): TcpState {
    return this.currentState;
  }

  /** Smoothed round-trip time in ms, once measured. */
  get srttMs(): number | null {
    return this.rtt.smoothedRttMs;
  }

  /** Bytes written but not yet acknowledged by the peer. */
  get bufferedAmount(): number {
    return this.sendBuffer.length + this.writers.reduce((sum, w) => sum + w.bytes.length - w.offset, 0);
  }

  // ---- App API ----

  /** Resolves once all of `data` is in the send buffer; waits while the buffer is full. */
  write(data: Uint8Array | string): Promise<void> {
    if (this.finQueued || !(canSendData(this.currentState) || this.currentState === "SYN_SENT" || this.currentState === "SYN_RECEIVED")) {
      return Promise.reject(new TcpError("closed", "write after end or close"));
    }
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    let offset = 0;
    if (this.writers.length === 0) offset = this.sendBuffer.write(bytes, 0, bytes.length);
    this.scheduleOutput();
    if (offset === bytes.length) return Promise.resolve();
    return new Promise((resolve, reject) => this.writers.push({ bytes, offset, resolve, reject }));
  }

  /** Every chunk as it arrives, instead of through async iteration; null to stop. */
  onData(handler: ((chunk: Uint8Array) => void) | null): void {
    this.inbound.onData(handler);
  }

  /** The peer finished sending (after the last chunk). */
  onEnd(handler: () => void): void {
    this.inbound.onEnd(handler);
  }

  /** Once, when the connection is over for the app (TIME_WAIT or CLOSED, by close or error). */
  onClose(handler: () => void): void {
    if (this.closeReported) queueCallback(handler);
    else this.closeHandlers.push(handler);
  }

  /** Reset by the peer, refused, or timed out. */
  onError(handler: (error: TcpError) => void): void {
    this.errorHandlers.push(handler);
  }

  /** Chunks in order; ends after the peer's FIN, throws the connection's error. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => this.inbound.next() };
  }

  /** Reads the next chunk, or null at the end of the stream. */
  async read(): Promise<Uint8Array | null> {
    const result = await this.inbound.next();
    return result.done ? null : result.value;
  }

  /** Half close: a FIN follows the data written so far; reading continues. */
  end(): void {
    if (this.finQueued) return;
    if (this.currentState === "ESTABLISHED") this.currentState = "FIN_WAIT_1";
    else if (this.currentState === "CLOSE_WAIT") this.currentState = "LAST_ACK";
    else return;
    this.finQueued = true;
    this.scheduleOutput();
  }

  /** Graceful close of both directions: sends what was written, then FIN; later data is discarded. */
  close(): void {
    this.appClosed = true;
    this.inbound.onData(null);
    this.inbound.discard();
    this.end();
    if (this.currentState === "FIN_WAIT_2") this.lingerTimer.start(this.host.options.finWait2TimeoutMs);
    if (this.currentState === "SYN_SENT" || this.currentState === "SYN_RECEIVED") this.terminate(null);
  }

  /** Sends RST and drops everything; pending writes fail with "closed". */
  abort(): void {
    if (this.currentState === "CLOSED") return;
    if (this.currentState !== "SYN_SENT" && this.currentState !== "TIME_WAIT") {
      this.send(this.sndNxt, 0, FLAG_RST | FLAG_ACK);
      this.host.counters.resetsOut++;
    }
    this.terminate(null);
  }

  /** Nagle's algorithm: hold small segments while data is unacknowledged. */
  setNoDelay(noDelay: boolean): void {
    this.nagle = !noDelay;
  }

  /** Probes an idle peer; false turns probing off. */
  setKeepAlive(options: KeepAliveOptions | false): void {
    this.keepAlive = options === false ? null : options;
    this.keepAliveProbes = 0;
    if (this.keepAlive === null) this.keepAliveTimer.stop();
    else this.keepAliveTimer.start(this.keepAlive.idleMs);
  }

  // ---- Opening ----

  /** Active open: sends the SYN. */
  open(): void {
    this.output();
  }

  /** Passive open from a listener's SYN: sends the SYN-ACK. */
  acceptSyn(segment: ParsedSegment): void {
    this.synchronize(segment);
    this.output();
  }

  // ---- Segment arrival (RFC 9293 3.10.7) ----

  receive(segment: ParsedSegment): void {
    if (this.keepAlive !== null) {
      this.keepAliveProbes = 0;
      this.keepAliveTimer.start(this.keepAlive.idleMs);
    }
    if (this.currentState === "SYN_SENT") return this.receiveInSynSent(segment);
    if (!this.acceptable(segment)) {
      if (segment.has(FLAG_RST)) return this.host.counters.drop("outOfWindow");
      if (this.currentState === "SYN_RECEIVED" && segment.has(FLAG_SYN) && segment.seq === this.irs) {
        // Our SYN-ACK was lost: answer the retransmitted SYN with another.
        this.sndNxt = this.iss;
        return this.output();
      }
      if (this.currentState === "TIME_WAIT" && segment.has(FLAG_FIN)) this.lingerTimer.start(this.host.options.timeWaitMs);
      this.host.counters.drop("outOfWindow");
      return this.sendAck();
    }
    if (segment.has(FLAG_RST)) return this.receiveReset(segment);
    if (segment.has(FLAG_SYN)) {
      // RFC 5961 4.2: a SYN on a synchronized connection gets a challenge ACK.
      return this.sendAck();
    }
    if (!segment.has(FLAG_ACK)) return this.host.counters.drop("noAck");
    if (this.currentState === "SYN_RECEIVED") {
      if (!(seqGt(segment.ack, this.sndUna) && seqLe(segment.ack, this.sndMax))) {
        this.host.counters.drop("badAck");
        return this.replyReset(segment.ack);
      }
      this.currentState = "ESTABLISHED";
      this.acknowledge(segment.ack);
      this.updateWindow(segment);
      this.host.established(this);
    } else if (!this.receiveAck(segment)) return;
    if (this.currentState === "CLOSED") return;
    this.receiveData(segment);
    this.output();
    this.settleAck();
  }

  private receiveInSynSent(segment: ParsedSegment): void {
    const ackable = segment.has(FLAG_ACK);
    if (ackable && (seqLe(segment.ack, this.iss) || seqGt(segment.ack, this.sndMax))) {
      this.host.counters.drop("badAck");
      if (!segment.has(FLAG_RST)) this.replyReset(segment.ack);
      return;
    }
    if (segment.has(FLAG_RST)) {
      if (!ackable) return this.host.counters.drop("noAck");
      this.host.counters.resetsIn++;
      return this.terminate(new TcpError("refused", "connection refused"));
    }
    if (!segment.has(FLAG_SYN)) return this.host.counters.drop("noAck");
    this.synchronize(segment);
    if (!ackable) {
      // Simultaneous open: answer with SYN-ACK from the same ISN.
      this.currentState = "SYN_RECEIVED";
      this.sndNxt = this.iss;
      return this.output();
    }
    this.currentState = "ESTABLISHED";
    this.acknowledge(segment.ack);
    this.host.established(this);
    this.sendAck();
    this.output();
  }

  /** Learns the peer's ISN, window and options from its SYN. */
  private synchronize(segment: ParsedSegment): void {
    const { options } = this.host;
    this.irs = segment.seq;
    this.rcvNxt = seqAdd(segment.seq, 1);
    this.sendMss = Math.min(segment.mss === OPTION_ABSENT ? DEFAULT_PEER_MSS : segment.mss, this.host.ourMss);
    this.windowScaling = options.windowScaling && segment.windowScale !== OPTION_ABSENT;
    if (this.windowScaling) {
      this.sndScale = segment.windowScale;
      this.rcvScale = windowScaleFor(options.receiveBufferBytes);
    } else {
      this.sndScale = this.rcvScale = 0;
    }
    this.rcvEdge = seqAdd(this.rcvNxt, this.receiveSpace());
    // The window in a SYN is never scaled.
    this.sndWnd = this.maxSndWnd = segment.window;
    this.sndWl1 = segment.seq;
    this.sndWl2 = segment.ack;
    this.cwnd = INITIAL_WINDOW_SEGMENTS * this.sendMss;
  }

  /** RFC 9293 3.10.7.4 first check, with RFC 9293's zero-window allowance for ACKs and RSTs. */
  private acceptable(segment: ParsedSegment): boolean {
    const window = seqDiff(this.rcvEdge, this.rcvNxt);
    const length = segment.seqLength;
    if (segment.seq === this.rcvNxt) return true;
    if (window === 0) return false;
    if (seqInWindow(segment.seq, this.rcvNxt, window)) return true;
    return length > 0 && seqInWindow(seqAdd(segment.seq, length - 1), this.rcvNxt, window);
  }

  /** RFC 5961 3.2: only an exact RST resets; one elsewhere in the window gets a challenge ACK. */
  private receiveReset(segment: ParsedSegment): void {
    if (segment.seq !== this.rcvNxt) return this.sendAck();
    this.host.counters.resetsIn++;
    const quiet = this.currentState === "SYN_RECEIVED" || this.currentState === "CLOSING" || this.currentState === "LAST_ACK" || this.currentState === "TIME_WAIT";
    this.terminate(quiet ? null : new TcpError("reset", "connection reset by peer"));
  }

  /** Returns false when the segment must be dropped. */
  private receiveAck(segment: ParsedSegment): boolean {
    const { ack } = segment;
    if (seqGt(ack, this.sndMax)) {
      this.host.counters.drop("badAck");
      this.sendAck();
      return false;
    }
    const windowBefore = this.sndWnd;
    if (seqGt(ack, this.sndUna)) {
      this.acknowledge(ack);
    } else if (
      ack === this.sndUna &&
      segment.payloadLength === 0 &&
      !segment.has(FLAG_FIN) &&
      this.flightSize() > 0 &&
      segment.window << this.sndScale === windowBefore
    ) {
      this.duplicateAck();
    }
    this.updateWindow(segment);
    if (this.finAcked) {
      if (this.currentState === "FIN_WAIT_1") {
        this.currentState = "FIN_WAIT_2";
        if (this.appClosed) this.lingerTimer.start(this.host.options.finWait2TimeoutMs);
      } else if (this.currentState === "CLOSING") this.enterTimeWait();
      else if (this.currentState === "LAST_ACK") this.terminate(null);
    }
    return true;
  }

  private updateWindow(segment: ParsedSegment): void {
    if (seqLt(this.sndWl1, segment.seq) || (this.sndWl1 === segment.seq && seqLe(this.sndWl2, segment.ack))) {
      this.sndWnd = segment.window << this.sndScale;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = segment.seq;
      this.sndWl2 = segment.ack;
      if (this.sndWnd > 0) {
        this.persistBackoffs = 0;
        this.persistTimer.stop();
      }
    }
  }

  /** New data (or our SYN or FIN) was acknowledged up to `ack`. */
  private acknowledge(ack: number): void {
    let count = seqDiff(ack, this.sndUna);
    if (!this.synAcked) {
      this.synAcked = true;
      count--;
    }
    const data = Math.min(count, this.sendBuffer.length);
    this.sendBuffer.discard(data);
    this.bufferStart = seqAdd(this.bufferStart, data);
    if (count > data) this.finAcked = true;
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    if (this.timedSeq !== null && seqGe(ack, this.timedSeq)) {
      this.rtt.sample(this.host.scheduler.now() - this.timedAt);
      this.timedSeq = null;
    }
    this.consecutiveTimeouts = 0;
    this.rtt.resetBackoff();
    if (this.sndUna === this.sndMax) this.retransmitTimer.stop();
    else this.retransmitTimer.start(this.rtt.rtoMs);
    this.growCongestionWindow(ack, data);
    this.admitWriters();
  }

  private growCongestionWindow(ack: number, acked: number): void {
    this.duplicateAcks = 0;
    if (this.recovery !== null) {
      if (seqGe(ack, this.recovery)) {
        this.cwnd = Math.min(this.ssthresh, this.flightSize() + this.sendMss);
        this.recovery = null;
      } else {
        // NewReno partial ACK (RFC 6582): the next hole is lost too.
        this.retransmitAt(this.sndUna);
        this.cwnd = Math.max(this.sendMss, this.cwnd - acked + this.sendMss);
      }
      return;
    }
    if (this.cwnd < this.ssthresh) this.cwnd += Math.min(acked, this.sendMss);
    else this.cwnd += Math.max(1, Math.floor((this.sendMss * this.sendMss) / this.cwnd));
  }

  private duplicateAck(): void {
    this.duplicateAcks++;
    if (this.recovery !== null) {
      this.cwnd += this.sendMss;
      return;
    }
    if (this.duplicateAcks !== DUPLICATE_ACK_THRESHOLD) return;
    this.ssthresh = Math.max(Math.floor(this.flightSize() / 2), MIN_SSTHRESH_SEGMENTS * this.sendMss);
    this.recovery = this.sndMax;
    this.host.counters.fastRetransmits++;
    this.retransmitAt(this.sndUna);
    this.cwnd = this.ssthresh + DUPLICATE_ACK_THRESHOLD * this.sendMss;
  }

  private receiveData(segment: ParsedSegment): void {
    let { seq, payloadOffset: offset, payloadLength: length } = segment;
    if (segment.has(FLAG_FIN)) this.remoteFin = seqAdd(seq, length);
    if (!acceptsData(this.currentState)) length = 0;
    const stale = seqDiff(this.rcvNxt, seq);
    if (stale > 0) {
      const skip = Math.min(stale, length);
      offset += skip;
      length -= skip;
      seq = seqAdd(seq, skip);
    }
    length = Math.max(0, Math.min(length, seqDiff(this.rcvEdge, seq)));
    if (length > 0) {
      if (seq === this.rcvNxt) {
        const filling = this.outOfOrder.size > 0;
        this.accept(segment.bytes, offset, length);
        this.rcvNxt = this.outOfOrder.drain(this.rcvNxt, (data, start, count) => this.accept(data, start, count));
        this.unackedSegments += filling ? SEGMENTS_PER_ACK : 1;
      } else {
        if (!this.outOfOrder.add(seq, segment.bytes, offset, length)) this.host.counters.drop("outOfOrderFull");
        // RFC 5681 4.2: out-of-order data is acknowledged at once, which the sender counts as a duplicate.
        this.unackedSegments += SEGMENTS_PER_ACK;
      }
    } else if (segment.payloadLength > 0) {
      this.unackedSegments += SEGMENTS_PER_ACK;
    }
    if (this.remoteFin !== null && this.remoteFin === this.rcvNxt && !this.finReceived) this.receiveFin();
  }

  private accept(bytes: Uint8Array, offset: number, length: number): void {
    this.rcvNxt = seqAdd(this.rcvNxt, length);
    if (!this.appClosed) this.inbound.push(bytes, offset, length);
  }

  private receiveFin(): void {
    this.finReceived = true;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.unackedSegments += SEGMENTS_PER_ACK;
    switch (this.currentState) {
      case "ESTABLISHED":
        this.currentState = "CLOSE_WAIT";
        break;
      case "FIN_WAIT_1":
        if (this.finAcked) this.enterTimeWait();
        else this.currentState = "CLOSING";
        break;
      case "FIN_WAIT_2":
        this.enterTimeWait();
        break;
      default:
        break;
    }
    this.inbound.end();
  }

  // ---- Output ----

  private scheduleOutput(): void {
    if (this.outputScheduled) return;
    this.outputScheduled = true;
    // Writes made in the same turn leave together (one segment for a header and a small body).
    void Promise.resolve().then(() => {
      this.outputScheduled = false;
      this.output();
    });
  }

  /** Sends whatever the state, the windows and Nagle allow. */
  private output(): void {
    const state = this.currentState;
    if (state === "CLOSED" || state === "TIME_WAIT") return;
    if (!this.synAcked) {
      if (this.sndNxt === this.iss) {
        const flags = state === "SYN_SENT" ? FLAG_SYN : FLAG_SYN | FLAG_ACK;
        this.send(this.iss, 0, flags);
        this.sndNxt = seqAdd(this.iss, 1);
        this.sndMax = seqMax(this.sndMax, this.sndNxt);
      }
      return;
    }
    const finReady = this.finReady();
    const finSeq = seqAdd(this.bufferStart, this.sendBuffer.length);
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.bufferStart);
      const unsent = Math.max(0, this.sendBuffer.length - offset);
      const inFlight = this.flightSize();
      const usable = Math.min(this.sndWnd, this.cwnd) - inFlight;
      const length = Math.max(0, Math.min(this.sendMss, unsent, usable));
      const fin = finReady && seqAdd(this.sndNxt, length) === finSeq && length === unsent;
      const resending = seqLt(this.sndNxt, this.sndMax);
      const worthIt =
        fin ||
        (length > 0 &&
          (length === this.sendMss ||
            resending ||
            (length === unsent && (!this.nagle || inFlight === 0)) ||
            length * SWS_WINDOW_FRACTION >= this.maxSndWnd));
      if (!worthIt) {
        // Stuck behind a closed or silly window with nothing in flight to bring an ACK: probe.
        if (unsent > 0 && inFlight === 0) this.persistTimer.ensure(this.persistInterval());
        break;
      }
      this.send(this.sndNxt, length, FLAG_ACK | (length > 0 && length === unsent ? FLAG_PSH : 0) | (fin ? FLAG_FIN : 0));
      if (resending) this.host.counters.retransmits++;
      this.sndNxt = seqAdd(this.sndNxt, length + (fin ? 1 : 0));
      this.sndMax = seqMax(this.sndMax, this.sndNxt);
      if (fin) break;
    }
  }

  /** Resends one segment at `seq` (fast retransmit, NewReno) without moving SND.NXT. */
  private retransmitAt(seq: number): void {
    const offset = seqDiff(seq, this.bufferStart);
    const length = Math.max(0, Math.min(this.sendMss, this.sendBuffer.length - offset));
    const fin = this.finReady() && seqGt(this.sndMax, seqAdd(seq, length)) && offset + length === this.sendBuffer.length;
    if (length === 0 && !fin) return;
    this.send(seq, length, FLAG_ACK | (fin ? FLAG_FIN : 0));
    this.host.counters.retransmits++;
  }

  /** Builds and transmits one segment, carrying the current ACK and window. */
  private send(seq: number, length: number, flags: number): void {
    const syn = (flags & FLAG_SYN) !== 0;
    const acking = (flags & FLAG_ACK) !== 0;
    const segment = buildSegment(
      {
        sourcePort: this.localPort,
        destinationPort: this.remotePort,
        seq,
        ack: acking ? this.rcvNxt : 0,
        flags,
        window: this.advertisedWindow(syn),
        mss: syn ? this.host.ourMss : OPTION_ABSENT,
        windowScale: syn && this.offersWindowScale() ? windowScaleFor(this.host.options.receiveBufferBytes) : OPTION_ABSENT,
      },
      length,
    );
    if (length > 0) this.sendBuffer.peek(seqDiff(seq, this.bufferStart), length, segment, segment.length - length);
    this.host.transmit(this.remoteAddress, segment);
    this.host.counters.segmentsOut++;
    if (acking) {
      this.unackedSegments = 0;
      this.delayedAckTimer.stop();
    }
    const occupies = length + (syn ? 1 : 0) + ((flags & FLAG_FIN) !== 0 ? 1 : 0);
    if (occupies === 0 || (flags & FLAG_RST) !== 0) return;
    if (seqLt(seq, this.sndMax)) this.timedSeq = null;
    else if (this.timedSeq === null) {
      this.timedSeq = seqAdd(seq, occupies);
      this.timedAt = this.host.scheduler.now();
    }
    this.retransmitTimer.ensure(this.rtt.rtoMs);
  }

  /** Our SYN offers scaling when configured; our SYN-ACK only in answer to an offer. */
  private offersWindowScale(): boolean {
    return this.currentState === "SYN_SENT" ? this.host.options.windowScaling : this.windowScaling;
  }

  private sendAck(): void {
    if (this.currentState === "CLOSED" || this.currentState === "SYN_SENT") return;
    this.send(this.sndNxt, 0, FLAG_ACK);
  }

  /** Acknowledges now when owed for two segments (or something urgent), else within the delay. */
  private settleAck(): void {
    if (this.unackedSegments === 0) return;
    if (this.unackedSegments >= SEGMENTS_PER_ACK) this.sendAck();
    else this.delayedAckTimer.ensure(this.host.options.delayedAckMs);
  }

  /** RST answering an unacceptable ACK (RFC 9293 3.10.7.3). */
  private replyReset(seq: number): void {
    const segment = buildSegment(
      { sourcePort: this.localPort, destinationPort: this.remotePort, seq, ack: 0, flags: FLAG_RST, window: 0, mss: OPTION_ABSENT, windowScale: OPTION_ABSENT },
      0,
    );
    this.host.transmit(this.remoteAddress, segment);
    this.host.counters.segmentsOut++;
    this.host.counters.resetsOut++;
  }

  // ---- Windows ----

  /** Receive buffer space, as far as the 16-bit window field can express it. */
  private receiveSpace(): number {
    return Math.min(this.inbound.free, MAX_WINDOW_FIELD << this.rcvScale);
  }

  /**
   * The window field to send. Receiver silly-window avoidance (RFC 9293 3.8.6.2.2): the right
   * edge advances only by a full segment or half the buffer, and never retreats.
   */
  private advertisedWindow(syn: boolean): number {
    const edge = seqAdd(this.rcvNxt, this.receiveSpace());
    const step = Math.min(this.inbound.capacity / 2, this.host.ourMss);
    if (seqDiff(edge, this.rcvEdge) >= step || this.inbound.free === this.inbound.capacity) this.rcvEdge = seqMax(this.rcvEdge, edge);
    const window = Math.max(0, seqDiff(this.rcvEdge, this.rcvNxt));
    return syn ? Math.min(window, MAX_WINDOW_FIELD) : Math.min(window >>> this.rcvScale, MAX_WINDOW_FIELD);
  }

  /** The app read buffered bytes: tell the peer if that opened the window by a useful amount. */
  private windowMayHaveOpened(): void {
    if (!this.synAcked || !acceptsData(this.currentState)) return;
    const edge = seqAdd(this.rcvNxt, this.receiveSpace());
    if (seqDiff(edge, this.rcvEdge) >= Math.min(this.inbound.capacity / 2, this.host.ourMss)) this.sendAck();
  }

  private flightSize(): number {
    return seqDiff(this.sndNxt, this.sndUna);
  }

  private finReady(): boolean {
    return this.finQueued && this.writers.length === 0;
  }

  private admitWriters(): void {
    while (this.writers.length > 0 && this.sendBuffer.free > 0) {
      const writer = this.writers[0];
      writer.offset += this.sendBuffer.write(writer.bytes, writer.offset, writer.bytes.length - writer.offset);
      if (writer.offset < writer.bytes.length) break;
      this.writers.shift();
      writer.resolve();
    }
  }

  // ---- Timers ----

  private retransmitTimeout(): void {
    if (this.sndUna === this.sndMax || this.sndNxt === this.sndUna) return;
    const { options, counters } = this.host;
    this.consecutiveTimeouts++;
    if (this.consecutiveTimeouts > (this.synAcked ? options.maxRetransmits : options.maxSynRetransmits)) {
      counters.timeouts++;
      return this.terminate(new TcpError("timeout", "retransmission limit reached"));
    }
    this.rtt.backOff();
    this.timedSeq = null;
    if (this.synAcked) {
      this.ssthresh = Math.max(Math.floor(this.flightSize() / 2), MIN_SSTHRESH_SEGMENTS * this.sendMss);
      this.cwnd = this.sendMss;
      this.recovery = null;
      this.duplicateAcks = 0;
    } else {
      counters.retransmits++;
    }
    this.sndNxt = this.sndUna;
    this.output();
    this.retransmitTimer.start(this.rtt.rtoMs);
  }

  private persistInterval(): number {
    return Math.min(this.host.options.maxRtoMs, this.rtt.rtoMs * Math.pow(2, this.persistBackoffs));
  }

  /**
   * The persist timer: with a zero window, one byte beyond it (without advancing SND.NXT) makes
   * the peer report its window; with a small one, the data it allows goes out anyway.
   */
  private probeWindow(): void {
    const unsent = this.sendBuffer.length - seqDiff(this.sndNxt, this.bufferStart);
    if (unsent <= 0 || this.currentState === "CLOSED") return;
    if (this.sndWnd > 0) {
      const length = Math.min(this.sndWnd, unsent, this.sendMss);
      this.send(this.sndNxt, length, FLAG_ACK | FLAG_PSH);
      this.sndNxt = seqAdd(this.sndNxt, length);
      this.sndMax = seqMax(this.sndMax, this.sndNxt);
      return;
    }
    this.send(this.sndNxt, 1, FLAG_ACK);
    this.sndMax = seqMax(this.sndMax, seqAdd(this.sndNxt, 1));
    this.retransmitTimer.stop();
    this.persistBackoffs++;
    this.persistTimer.start(this.persistInterval());
  }

  private keepAliveTimeout(): void {
    const keepAlive = this.keepAlive;
    if (keepAlive === null || !this.synAcked) return;
    if (this.keepAliveProbes >= keepAlive.probes) {
      this.host.counters.timeouts++;
      return this.terminate(new TcpError("timeout", "keep-alive probes unanswered"));
    }
    this.keepAliveProbes++;
    // A segment just below the window makes the peer answer with an ACK.
    this.send(seqAdd(this.sndUna, -1), 0, FLAG_ACK);
    this.keepAliveTimer.start(keepAlive.intervalMs);
  }

  // ---- Ending ----

  private enterTimeWait(): void {
    this.currentState = "TIME_WAIT";
    this.stopTransmitTimers();
    this.lingerTimer.start(this.host.options.timeWaitMs);
    this.reportClose();
  }

  private stopTransmitTimers(): void {
    this.retransmitTimer.stop();
    this.persistTimer.stop();
    this.keepAliveTimer.stop();
  }

  /** Enters CLOSED, fails or ends the streams, and leaves the TCP layer's tables. */
  private terminate(error: TcpError | null): void {
    if (this.currentState === "CLOSED") return;
    this.currentState = "CLOSED";
    this.stopTransmitTimers();
    this.delayedAckTimer.stop();
    this.lingerTimer.stop();
    this.outOfOrder.clear();
    const writeError = error ?? new TcpError("closed", "connection closed");
    for (const writer of this.writers.splice(0)) writer.reject(writeError);
    if (error !== null) {
      this.inbound.fail(error);
      for (const handler of this.errorHandlers) queueCallback(() => handler(error));
    } else {
      this.inbound.end();
    }
    this.reportClose();
    this.host.released(this, error);
  }

  private reportClose(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    for (const handler of this.closeHandlers.splice(0)) queueCallback(handler);
  }
}

/** Smallest shift that lets the field express the whole buffer (RFC 7323 2.2). */
function windowScaleFor(bufferBytes: number): number {
  let shift = 0;
  while (shift < MAX_WINDOW_SCALE && bufferBytes >>> shift > MAX_WINDOW_FIELD) shift++;
  return shift;
}

/** App callbacks run outside the receive path; their exceptions are reported, not propagated. */
function queueCallback(callback: () => void): void {
  void Promise.resolve().then(() => {
    try {
      callback();
    } catch (error) {
      reportCallbackError(error);
    }
  });
}
