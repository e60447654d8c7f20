import type { CongestionControl } from "./congestion";
import type { ConnectionHost, Endpoints } from "./connection-host";
import { Deadline } from "./deadline";
import { FLAG_ACK, FLAG_FIN, FLAG_PSH, FLAG_RST, FLAG_SYN } from "./header";
import { SEGMENTS_PER_ACK, windowScaleFor, type ReceiveSpace } from "./receive-space";
import type { RetransmissionClock } from "./retransmission";
import { OPTION_ABSENT, type OutgoingSegment } from "./segment";
import type { SendSpace } from "./send-space";
import { seqAdd, seqDiff, seqGt, seqLt, seqMax } from "./seq";
import type { TcpState } from "./state";
import type { Mutable } from "../mutable";

/** Sender silly-window avoidance sends a fraction of the largest window the peer offered. */
const SWS_WINDOW_FRACTION = 2;
/** A zero-window probe carries one byte beyond the window. */
const PROBE_BYTES = 1;
const PERSIST_BACKOFF_FACTOR = 2;

/**
 * Everything one connection transmits: data as the windows and Nagle allow, retransmissions,
 * ACKs (delayed or at once), window probes (the persist timer) and RSTs.
 */
export class SegmentOutput {
  /** Nagle's algorithm: hold small segments while data is unacknowledged. */
  nagle: boolean;
  /** Both sides offered window scaling. */
  windowScaling = false;
  private scheduled = false;
  /** Zero-window probes since the window closed. */
  private persistBackoffs = 0;
  /** Of those, sent since the peer last sent an acceptable ACK. */
  private unansweredProbes = 0;
  private readonly persistTimer: Deadline;
  private readonly delayedAckTimer: Deadline;
  /** Reused for every segment's header: output allocates no objects per segment. */
  private readonly fields: Mutable<OutgoingSegment>;

  constructor(
    private readonly host: ConnectionHost,
    private readonly endpoints: Endpoints,
    private readonly snd: SendSpace,
    private readonly rcv: ReceiveSpace,
    private readonly congestion: CongestionControl,
    private readonly clock: RetransmissionClock,
    private readonly state: () => TcpState,
    /** Probing is over without the window opening: the peer went silent, or holds an orphan. */
    private readonly probingFailed: (orphaned: boolean) => void,
  ) {
    this.nagle = host.options.nagle;
    this.fields = { sourcePort: endpoints.localPort, destinationPort: endpoints.remotePort, seq: 0, ack: 0, flags: 0, window: 0, mss: OPTION_ABSENT, windowScale: OPTION_ABSENT };
    this.persistTimer = new Deadline(host.scheduler, () => this.probeWindow());
    this.delayedAckTimer = new Deadline(host.scheduler, () => this.sendAck());
  }

  /** Output at the end of the current turn, so writes made in it leave together. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void Promise.resolve().then(() => {
      this.scheduled = false;
      this.output();
    });
  }

  /** Sends whatever the state, the windows and Nagle allow. */
  output(): void {
    const { snd } = this;
    const state = this.state();
    if (state === "CLOSED" || state === "TIME_WAIT") return;
    if (!snd.synAcked) {
      if (snd.nxt === snd.iss) {
        this.send(snd.iss, 0, state === "SYN_SENT" ? FLAG_SYN : FLAG_SYN | FLAG_ACK);
        snd.advance(seqAdd(snd.iss, 1));
      }
      return;
    }
    const finReady = snd.finReady;
    const finSeq = snd.finSeq;
    // With segmentation offload one segment may carry many MSS (the link cuts it up); the
    // windows count it by its bytes like any other.
    const maxLength = Math.max(snd.mss, this.host.maxSegmentedPayload);
    for (;;) {
      const unsent = Math.max(0, snd.unsent);
      const inFlight = snd.flightSize;
      const usable = Math.min(snd.wnd, this.congestion.cwnd) - inFlight;
      let length = Math.max(0, Math.min(maxLength, unsent, usable));
      // Nagle holds a partial segment back: a large one leaves its tail for later unless the
      // tail is the end of the data and may go now.
      const tailMayGo = length === unsent && (!this.nagle || inFlight === 0);
      if (length > snd.mss && !tailMayGo) length -= length % snd.mss;
      const fin = finReady && seqAdd(snd.nxt, length) === finSeq && length === unsent;
      const resending = seqLt(snd.nxt, snd.max);
      const worthIt =
        fin ||
        (length > 0 && (length >= snd.mss || resending || tailMayGo || length * SWS_WINDOW_FRACTION >= snd.maxWnd));
      if (!worthIt) {
        // Stuck behind a closed or silly window with nothing in flight to bring an ACK: probe.
        if (unsent > 0 && inFlight === 0) this.persistTimer.ensure(this.persistInterval());
        break;
      }
      const sent = this.send(snd.nxt, length, FLAG_ACK | (length > 0 && length === unsent ? FLAG_PSH : 0) | (fin ? FLAG_FIN : 0));
      if (resending) this.host.counters.tcp.retransmits++;
      const finSent = fin && sent === length;
      snd.advance(seqAdd(snd.nxt, sent + (finSent ? 1 : 0)));
      if (finSent) break;
    }
  }

  /** Resends one segment at `seq` (fast retransmit, NewReno) without moving SND.NXT. */
  retransmitAt(seq: number): void {
    const { snd } = this;
    const offset = seqDiff(seq, snd.bufferStart);
    const length = Math.max(0, Math.min(snd.mss, snd.buffer.length - offset));
    const fin = snd.finReady && seqGt(snd.max, seqAdd(seq, length)) && offset + length === snd.buffer.length;
    if (length === 0 && !fin) return;
    this.send(seq, length, FLAG_ACK | (fin ? FLAG_FIN : 0));
    this.host.counters.tcp.retransmits++;
  }

  sendAck(): void {
    const state = this.state();
    if (state === "CLOSED" || state === "SYN_SENT") return;
    this.send(this.snd.nxt, 0, FLAG_ACK);
  }

  /** Acknowledges now when owed for two segments (or something urgent), else within the delay. */
  settleAck(): void {
    if (this.rcv.owedAcks === 0) return;
    if (this.rcv.owedAcks >= SEGMENTS_PER_ACK) this.sendAck();
    else this.delayedAckTimer.ensure(this.host.options.delayedAckMs);
  }

  /** RST|ACK from SND.NXT, for an abort. */
  sendReset(): void {
    this.send(this.snd.nxt, 0, FLAG_RST | FLAG_ACK);
  }

  /** A keep-alive probe: a segment just below the window makes the peer answer with an ACK. */
  sendKeepAlive(): void {
    this.send(seqAdd(this.snd.una, -1), 0, FLAG_ACK);
  }

  /** RST answering an unacceptable ACK (RFC 9293 3.10.7.3). */
  replyReset(seq: number): void {
    const { localPort, remotePort, remoteAddress } = this.endpoints;
    const fields = { sourcePort: localPort, destinationPort: remotePort, seq, ack: 0, flags: FLAG_RST, window: 0, mss: OPTION_ABSENT, windowScale: OPTION_ABSENT };
    this.host.transmit(remoteAddress, this.host.segmentFrame(fields, 0));
    this.host.counters.tcp.resetsOut++;
  }

  /** The peer opened its window: probing is over. */
  windowOpened(): void {
    this.persistBackoffs = 0;
    this.unansweredProbes = 0;
    this.persistTimer.stop();
  }

  /** An acceptable ACK arrived: the peer is alive, whatever its window. */
  peerAnswered(): void {
    this.unansweredProbes = 0;
  }

  cancelPersist(): void {
    this.persistTimer.cancel();
  }

  cancelDelayedAck(): void {
    this.delayedAckTimer.cancel();
  }

  /**
   * Builds and transmits one segment, carrying the current ACK and window; returns the payload
   * bytes sent. More than an MSS goes as one segment the link cuts up; when the link has no room
   * for such a frame, one MSS goes instead, without PSH and FIN, which belong to the end.
   */
  private send(seq: number, length: number, flags: number): number {
    const { host, snd } = this;
    const syn = (flags & FLAG_SYN) !== 0;
    const acking = (flags & FLAG_ACK) !== 0;
    const fields = this.fields;
    fields.seq = seq;
    fields.ack = acking ? this.rcv.nxt : 0;
    fields.flags = flags;
    fields.window = this.rcv.advertisedWindow(syn);
    fields.mss = syn ? host.ourMss : OPTION_ABSENT;
    fields.windowScale = syn && this.offersWindowScale() ? windowScaleFor(host.options.receiveBufferBytes) : OPTION_ABSENT;
    let frame = length > snd.mss ? host.segmentedFrame(fields, length) : undefined;
    const segmentSize = frame === undefined ? 0 : snd.mss;
    if (frame === undefined) {
      if (length > snd.mss) {
        length = snd.mss;
        flags &= ~(FLAG_PSH | FLAG_FIN);
        fields.flags = flags;
      }
      frame = host.segmentFrame(fields, length);
    }
    // The payload goes straight from the send buffer into the outgoing frame (normally the link's
    // transmit memory), summed for the checksum on the way.
    const payloadSum = snd.buffer.peek(seqDiff(seq, snd.bufferStart), length, frame, frame.length - length);
    host.transmit(this.endpoints.remoteAddress, frame, length, payloadSum, segmentSize);
    if (acking) {
      this.rcv.owedAcks = 0;
      this.delayedAckTimer.stop();
    }
    const occupies = length + (syn ? 1 : 0) + ((flags & FLAG_FIN) !== 0 ? 1 : 0);
    if (occupies === 0 || (flags & FLAG_RST) !== 0) return length;
    this.clock.sent(seq, occupies, snd.max);
    return length;
  }

  /** Our SYN offers scaling when configured; our SYN-ACK only in answer to an offer. */
  private offersWindowScale(): boolean {
    return this.state() === "SYN_SENT" ? this.host.options.windowScaling : this.windowScaling;
  }

  private persistInterval(): number {
    return Math.min(this.host.options.maxRtoMs, this.clock.rtt.rtoMs * Math.pow(PERSIST_BACKOFF_FACTOR, this.persistBackoffs));
  }

  /**
   * The persist timer: with a zero window, one byte beyond it (without advancing SND.NXT) makes
   * the peer report its window; with a small one, the data it allows goes out anyway.
   */
  private probeWindow(): void {
    const { snd } = this;
    const unsent = snd.unsent;
    if (unsent <= 0 || this.state() === "CLOSED") return;
    if (snd.wnd > 0) {
      const length = Math.min(snd.wnd, unsent, snd.mss);
      this.send(snd.nxt, length, FLAG_ACK | FLAG_PSH);
      snd.advance(seqAdd(snd.nxt, length));
      return;
    }
    const { maxRetransmits, maxOrphanProbes } = this.host.options;
    const orphaned = this.rcv.appClosed;
    if (this.unansweredProbes >= maxRetransmits || (orphaned && this.persistBackoffs >= maxOrphanProbes)) {
      this.probingFailed(orphaned);
      return;
    }
    this.send(snd.nxt, PROBE_BYTES, FLAG_ACK);
    snd.max = seqMax(snd.max, seqAdd(snd.nxt, PROBE_BYTES));
    this.clock.stop();
    this.persistBackoffs++;
    this.unansweredProbes++;
    this.persistTimer.start(this.persistInterval());
  }
}
