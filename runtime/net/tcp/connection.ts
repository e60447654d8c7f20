import type { Ipv4Address } from "../address";
import { NetError } from "../errors";
import type { KeepAliveOptions } from "./config";
import { CloseNotifier } from "./close-notifier";
import { CongestionControl } from "./congestion";
import type { ConnectionHost, Endpoints } from "./connection-host";
import { Deadline } from "./deadline";
import { DEFAULT_PEER_MSS, FLAG_ACK, FLAG_FIN, FLAG_RST, FLAG_SYN, MIN_PEER_MSS } from "./header";
import { KeepAlive } from "./keep-alive";
import { ReceiveSpace, windowScaleFor } from "./receive-space";
import { RetransmissionClock } from "./retransmission";
import { OPTION_ABSENT, type ParsedSegment } from "./segment";
import { SegmentOutput } from "./segment-output";
import { SendSpace } from "./send-space";
import { seqAdd, seqGt, seqLe } from "./seq";
import { acceptsData, canSendData, type TcpState } from "./state";

const encoder = new TextEncoder();

/**
 * One TCP connection: the RFC 9293 state machine and the app-facing stream API. The send and
 * receive sequence spaces, congestion control, the retransmission clock and segment output
 * live in their own parts; this class moves between states and ties the parts together.
 */
export class TcpConnection implements AsyncIterable<Uint8Array> {
  readonly localAddress: Ipv4Address;
  readonly localPort: number;
  readonly remoteAddress: Ipv4Address;
  readonly remotePort: number;
  private currentState: TcpState;
  private readonly snd: SendSpace;
  private readonly rcv: ReceiveSpace;
  private readonly congestion = new CongestionControl();
  private readonly clock: RetransmissionClock;
  private readonly out: SegmentOutput;
  private readonly keepAlive: KeepAlive;
  /** TIME_WAIT, or FIN_WAIT_2 after the app closed. */
  private readonly lingerTimer: Deadline;
  private readonly notifier = new CloseNotifier();

  constructor(
    private readonly host: ConnectionHost,
    endpoints: Endpoints,
    iss: number,
    state: "SYN_SENT" | "SYN_RECEIVED",
  ) {
    ({ localAddress: this.localAddress, localPort: this.localPort, remoteAddress: this.remoteAddress, remotePort: this.remotePort } = endpoints);
    const { options, scheduler } = host;
    this.currentState = state;
    this.snd = new SendSpace(iss, options.sendBufferBytes);
    this.rcv = new ReceiveSpace(options, host.ourMss, host.counters, () => this.windowMayHaveOpened());
    this.clock = new RetransmissionClock(scheduler, options, () => this.retransmitTimeout());
    this.out = new SegmentOutput(host, endpoints, this.snd, this.rcv, this.congestion, this.clock, () => this.currentState, (orphaned) =>
      this.probingFailed(orphaned),
    );
    this.keepAlive = new KeepAlive(scheduler, {
      canProbe: () => this.snd.synAcked,
      probe: () => this.out.sendKeepAlive(),
      fail: () => this.fail(new NetError("timeout", "keep-alive probes unanswered")),
    });
    this.lingerTimer = new Deadline(scheduler, () => this.terminate(null));
  }

  get state(): TcpState {
    return this.currentState;
  }

  /** Smoothed round-trip time in ms, once measured. */
  get srttMs(): number | null {
    return this.clock.rtt.smoothedRttMs;
  }

  /** Bytes written but not yet acknowledged by the peer. */
  get bufferedAmount(): number {
    return this.snd.bufferedAmount;
  }

  // ---- App API ----

  /** Resolves once all of `data` is in the send buffer; waits while the buffer is full. */
  write(data: Uint8Array | string): Promise<void> {
    if (this.snd.finQueued || !(canSendData(this.currentState) || this.currentState === "SYN_SENT" || this.currentState === "SYN_RECEIVED")) {
      return Promise.reject(new NetError("closed", "write after end or close"));
    }
    const buffered = this.snd.write(typeof data === "string" ? encoder.encode(data) : data);
    this.out.schedule();
    return buffered;
  }

  /** Every chunk as it arrives, instead of through async iteration; null to stop. */
  onData(handler: ((chunk: Uint8Array) => void) | null): void {
    this.rcv.inbound.onData(handler);
  }

  /** The peer finished sending (after the last chunk). */
  onEnd(handler: () => void): void {
    this.rcv.inbound.onEnd(handler);
  }

  /** Once, when the connection is over for the app (TIME_WAIT or CLOSED, by close or error). */
  onClose(handler: () => void): void {
    this.notifier.onClose(handler);
  }

  /** Reset by the peer, refused, or timed out. */
  onError(handler: (error: NetError) => void): void {
    this.notifier.onError(handler);
  }

  /** Chunks in order; ends after the peer's FIN, throws the connection's error. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => this.rcv.inbound.next() };
  }

  /** Reads the next chunk, or null at the end of the stream. */
  async read(): Promise<Uint8Array | null> {
    const result = await this.rcv.inbound.next();
    return result.done ? null : result.value;
  }

  /** Half close: a FIN follows the data written so far; reading continues. */
  end(): void {
    if (this.snd.finQueued) return;
    if (this.currentState === "ESTABLISHED") this.currentState = "FIN_WAIT_1";
    else if (this.currentState === "CLOSE_WAIT") this.currentState = "LAST_ACK";
    else return;
    this.snd.finQueued = true;
    this.out.schedule();
  }

  /** Graceful close of both directions: sends what was written, then FIN; later data is discarded. */
  close(): void {
    this.rcv.discardInbound();
    this.end();
    if (this.currentState === "FIN_WAIT_2") this.lingerTimer.start(this.host.options.finWait2TimeoutMs);
    if (this.currentState === "SYN_SENT" || this.currentState === "SYN_RECEIVED") this.terminate(null);
  }

  /** Sends RST and drops everything; pending writes fail with "closed". */
  abort(): void {
    if (this.currentState === "CLOSED") return;
    if (this.currentState !== "SYN_SENT" && this.currentState !== "TIME_WAIT") {
      this.out.sendReset();
      this.host.counters.tcp.resetsOut++;
    }
    this.terminate(null);
  }

  /** Nagle's algorithm: hold small segments while data is unacknowledged. */
  setNoDelay(noDelay: boolean): void {
    this.out.nagle = !noDelay;
  }

  /** Probes an idle peer; false turns probing off. */
  setKeepAlive(options: KeepAliveOptions | false): void {
    this.keepAlive.configure(options);
  }

  // ---- Opening ----

  /** Active open: sends the SYN. */
  open(): void {
    this.out.output();
  }

  /** Passive open from a listener's SYN: sends the SYN-ACK. */
  acceptSyn(segment: ParsedSegment): void {
    this.synchronize(segment);
    this.out.output();
  }

  /**
   * Passive open through a SYN cookie: the SYN-ACK went out without state, this connection's ISS
   * being the cookie, and `ack` completes the handshake (with any data it carries). It stands in
   * for the SYN, which is one sequence number before it; the cookie gave the MSS, and there is no
   * window scaling since a cookie cannot carry it.
   */
  acceptCookie(ack: ParsedSegment, mss: number): void {
    this.start(seqAdd(ack.seq, -1), ack, mss, false);
    this.snd.advance(seqAdd(this.snd.iss, 1));
    this.receive(ack);
  }

  /** A SYN that may replace this connection: we are in TIME_WAIT and it starts past our RCV.NXT. */
  acceptsNewIncarnation(syn: ParsedSegment): boolean {
    return this.currentState === "TIME_WAIT" && seqGt(syn.seq, this.rcv.nxt);
  }

  // ---- Segment arrival (RFC 9293 3.10.7) ----

  receive(segment: ParsedSegment): void {
    if (this.isPureAck(segment)) return this.receivePureAck(segment);
    const { counters } = this.host;
    this.keepAlive.heard();
    if (this.currentState === "SYN_SENT") return this.receiveInSynSent(segment);
    if (!this.rcv.acceptable(segment)) {
      if (segment.has(FLAG_RST)) return counters.drop("tcp.outOfWindow");
      if (this.currentState === "SYN_RECEIVED" && segment.has(FLAG_SYN) && segment.seq === this.rcv.irs) {
        // Our SYN-ACK was lost: answer the retransmitted SYN with another.
        this.snd.nxt = this.snd.iss;
        return this.out.output();
      }
      if (this.currentState === "TIME_WAIT" && segment.has(FLAG_FIN)) this.lingerTimer.start(this.host.options.timeWaitMs);
      counters.drop("tcp.outOfWindow");
      return this.out.sendAck();
    }
    if (segment.has(FLAG_RST)) return this.receiveReset(segment);
    if (segment.has(FLAG_SYN)) {
      // RFC 5961 4.2: a SYN on a synchronized connection gets a challenge ACK.
      return this.out.sendAck();
    }
    if (!segment.has(FLAG_ACK)) return counters.drop("tcp.noAck");
    if (this.currentState === "SYN_RECEIVED") {
      if (!(seqGt(segment.ack, this.snd.una) && seqLe(segment.ack, this.snd.max))) {
        counters.drop("tcp.badAck");
        return this.out.replyReset(segment.ack);
      }
      this.currentState = "ESTABLISHED";
      this.acknowledge(segment.ack);
      this.updateWindow(segment);
      this.host.established(this);
    } else if (!this.receiveAck(segment)) return;
    if (this.currentState === "CLOSED") return;
    if (this.rcv.receive(segment, acceptsData(this.currentState))) this.receiveFin();
    this.out.output();
    this.out.settleAck();
  }

  /**
   * The common case while sending: an in-order ACK of new data with no payload and no other flag,
   * in ESTABLISHED. It needs none of the general checks, which would all pass without effect.
   */
  private isPureAck(segment: ParsedSegment): boolean {
    const { snd } = this;
    return (
      segment.flags === FLAG_ACK &&
      segment.payloadLength === 0 &&
      this.currentState === "ESTABLISHED" &&
      segment.seq === this.rcv.nxt &&
      seqGt(segment.ack, snd.una) &&
      seqLe(segment.ack, snd.max)
    );
  }

  /** What receive() does for a pure ACK (see isPureAck), without the steps that cannot apply. */
  private receivePureAck(segment: ParsedSegment): void {
    this.keepAlive.heard();
    this.acknowledge(segment.ack);
    this.updateWindow(segment);
    this.out.output();
    this.out.settleAck();
  }

  private receiveInSynSent(segment: ParsedSegment): void {
    const { counters } = this.host;
    const ackable = segment.has(FLAG_ACK);
    if (ackable && (seqLe(segment.ack, this.snd.iss) || seqGt(segment.ack, this.snd.max))) {
      counters.drop("tcp.badAck");
      if (!segment.has(FLAG_RST)) this.out.replyReset(segment.ack);
      return;
    }
    if (segment.has(FLAG_RST)) {
      if (!ackable) return counters.drop("tcp.noAck");
      counters.tcp.resetsIn++;
      return this.terminate(new NetError("refused", "connection refused"));
    }
    if (!segment.has(FLAG_SYN)) return counters.drop("tcp.noAck");
    this.synchronize(segment);
    if (!ackable) {
      // Simultaneous open: answer with SYN-ACK from the same ISN.
      this.currentState = "SYN_RECEIVED";
      this.snd.nxt = this.snd.iss;
      return this.out.output();
    }
    this.currentState = "ESTABLISHED";
    this.acknowledge(segment.ack);
    this.host.established(this);
    this.out.sendAck();
    this.out.output();
  }

  /** Learns the peer's ISN, window and options from its SYN. */
  private synchronize(segment: ParsedSegment): void {
    const { options, ourMss } = this.host;
    const scaling = options.windowScaling && segment.windowScale !== OPTION_ABSENT;
    const announced = segment.mss === OPTION_ABSENT ? DEFAULT_PEER_MSS : segment.mss;
    this.start(segment.seq, segment, Math.max(MIN_PEER_MSS, Math.min(announced, ourMss)), scaling);
  }

  /** Sets up both sequence spaces from the peer's ISN `irs` and `segment`'s window. */
  private start(irs: number, segment: ParsedSegment, mss: number, scaling: boolean): void {
    this.out.windowScaling = scaling;
    this.rcv.synchronize(irs, scaling ? windowScaleFor(this.host.options.receiveBufferBytes) : 0);
    this.snd.synchronize(segment, mss, scaling ? segment.windowScale : 0);
    this.congestion.start(this.snd.mss);
  }

  /** RFC 5961 3.2: only an exact RST resets; one elsewhere in the window gets a challenge ACK. */
  private receiveReset(segment: ParsedSegment): void {
    if (segment.seq !== this.rcv.nxt) return this.out.sendAck();
    this.host.counters.tcp.resetsIn++;
    const quiet = this.currentState === "SYN_RECEIVED" || this.currentState === "CLOSING" || this.currentState === "LAST_ACK" || this.currentState === "TIME_WAIT";
    this.terminate(quiet ? null : new NetError("reset", "connection reset by peer"));
  }

  /** Returns false when the segment must be dropped. */
  private receiveAck(segment: ParsedSegment): boolean {
    const { ack } = segment;
    const { snd } = this;
    if (seqGt(ack, snd.max)) {
      this.host.counters.drop("tcp.badAck");
      this.out.sendAck();
      return false;
    }
    const windowBefore = snd.wnd;
    this.out.peerAnswered();
    if (seqGt(ack, snd.una)) {
      this.acknowledge(ack);
    } else if (ack === snd.una && segment.payloadLength === 0 && !segment.has(FLAG_FIN) && snd.flightSize > 0 && segment.window << snd.scale === windowBefore) {
      if (this.congestion.duplicateAck(snd.flightSize, snd.max, snd.mss)) {
        this.host.counters.tcp.fastRetransmits++;
        this.out.retransmitAt(snd.una);
      }
    }
    this.updateWindow(segment);
    if (snd.finAcked) {
      if (this.currentState === "FIN_WAIT_1") {
        this.currentState = "FIN_WAIT_2";
        if (this.rcv.appClosed) this.lingerTimer.start(this.host.options.finWait2TimeoutMs);
      } else if (this.currentState === "CLOSING") this.enterTimeWait();
      else if (this.currentState === "LAST_ACK") this.terminate(null);
    }
    return true;
  }

  private updateWindow(segment: ParsedSegment): void {
    if (this.snd.updateWindow(segment) && this.snd.wnd > 0) this.out.windowOpened();
  }

  /** New data (or our SYN or FIN) was acknowledged up to `ack`. */
  private acknowledge(ack: number): void {
    const { snd } = this;
    const data = snd.acknowledge(ack);
    this.clock.acknowledged(ack, snd.una === snd.max);
    if (this.congestion.acknowledged(ack, data, snd.flightSize, snd.mss)) this.out.retransmitAt(snd.una);
    snd.admitWriters();
  }

  private receiveFin(): void {
    this.rcv.acceptFin();
    switch (this.currentState) {
      case "ESTABLISHED":
        this.currentState = "CLOSE_WAIT";
        break;
      case "FIN_WAIT_1":
        if (this.snd.finAcked) this.enterTimeWait();
        else this.currentState = "CLOSING";
        break;
      case "FIN_WAIT_2":
        this.enterTimeWait();
        break;
      default:
        break;
    }
    this.rcv.inbound.end();
  }

  /** The app read buffered bytes: tell the peer if that opened the window by a useful amount. */
  private windowMayHaveOpened(): void {
    if (!this.snd.synAcked || !acceptsData(this.currentState)) return;
    if (this.rcv.windowOpened()) this.out.sendAck();
  }

  // ---- Timers and ending ----

  private retransmitTimeout(): void {
    const { snd } = this;
    if (snd.una === snd.max || snd.nxt === snd.una) return;
    const { options, counters } = this.host;
    if (!this.clock.expired(snd.synAcked ? options.maxRetransmits : options.maxSynRetransmits)) {
      return this.fail(new NetError("timeout", "retransmission limit reached"));
    }
    if (snd.synAcked) this.congestion.timedOut(snd.flightSize, snd.mss);
    else counters.tcp.retransmits++;
    snd.nxt = snd.una;
    this.out.output();
    this.clock.restart();
  }

  /** Zero-window probing gave up: a silent peer fails the connection, an orphan is reset. */
  private probingFailed(orphaned: boolean): void {
    if (!orphaned) return this.fail(new NetError("timeout", "zero-window probes unanswered"));
    this.host.counters.tcp.timeouts++;
    this.abort();
  }

  /** Ends the connection after the peer stopped answering. */
  private fail(error: NetError): void {
    this.host.counters.tcp.timeouts++;
    this.terminate(error);
  }

  private enterTimeWait(): void {
    this.currentState = "TIME_WAIT";
    this.cancelTransmitTimers();
    this.lingerTimer.start(this.host.options.timeWaitMs);
    this.notifier.reportClose();
    this.host.enteredTimeWait(this);
  }

  private cancelTransmitTimers(): void {
    this.clock.cancel();
    this.out.cancelPersist();
    this.keepAlive.cancel();
  }

  /** Enters CLOSED, fails or ends the streams, and leaves the TCP layer's tables. */
  private terminate(error: NetError | null): void {
    if (this.currentState === "CLOSED") return;
    this.currentState = "CLOSED";
    this.cancelTransmitTimers();
    this.out.cancelDelayedAck();
    this.lingerTimer.cancel();
    this.rcv.clearOutOfOrder();
    this.snd.failWriters(() => error ?? new NetError("closed", "connection closed"));
    if (error !== null) {
      this.rcv.inbound.fail(error);
      this.notifier.reportError(error);
    } else {
      this.rcv.inbound.end();
    }
    this.notifier.reportClose();
    this.host.released(this, error);
  }
}
