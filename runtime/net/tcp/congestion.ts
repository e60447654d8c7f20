import { seqGe } from "./seq";

/** RFC 6928 initial congestion window, in segments. */
const INITIAL_WINDOW_SEGMENTS = 10;
/** RFC 5681: fast retransmit on the third duplicate ACK. */
const DUPLICATE_ACK_THRESHOLD = 3;
/** RFC 5681 minimum ssthresh after loss, in segments. */
const MIN_SSTHRESH_SEGMENTS = 2;
const NO_SSTHRESH = Number.MAX_SAFE_INTEGER;

/**
 * RFC 5681 congestion control: slow start, congestion avoidance, and fast retransmit/recovery
 * with NewReno partial ACKs (RFC 6582). The caller resends when a method returns true.
 */
export class CongestionControl {
  cwnd = 0;
  private ssthresh = NO_SSTHRESH;
  private duplicateAcks = 0;
  /** SND.MAX when fast recovery began; null outside it. */
  private recovery: number | null = null;

  start(mss: number): void {
    this.cwnd = INITIAL_WINDOW_SEGMENTS * mss;
  }

  /**
   * `acked` data bytes were newly acknowledged up to `ack`. True on a partial ACK in recovery:
   * the segment at SND.UNA is lost too.
   */
  acknowledged(ack: number, acked: number, flightSize: number, mss: number): boolean {
    this.duplicateAcks = 0;
    if (this.recovery !== null) {
      if (seqGe(ack, this.recovery)) {
        this.cwnd = Math.min(this.ssthresh, flightSize + mss);
        this.recovery = null;
        return false;
      }
      this.cwnd = Math.max(mss, this.cwnd - acked + mss);
      return true;
    }
    if (this.cwnd < this.ssthresh) this.cwnd += Math.min(acked, mss);
    else this.cwnd += Math.max(1, Math.floor((mss * mss) / this.cwnd));
    return false;
  }

  /** True on the duplicate ACK that triggers fast retransmit of the segment at SND.UNA. */
  duplicateAck(flightSize: number, sndMax: number, mss: number): boolean {
    this.duplicateAcks++;
    if (this.recovery !== null) {
      this.cwnd += mss;
      return false;
    }
    if (this.duplicateAcks !== DUPLICATE_ACK_THRESHOLD) return false;
    this.ssthresh = this.lossThreshold(flightSize, mss);
    this.recovery = sndMax;
    this.cwnd = this.ssthresh + DUPLICATE_ACK_THRESHOLD * mss;
    return true;
  }

  /** The retransmission timer expired: back to slow start from one segment. */
  timedOut(flightSize: number, mss: number): void {
    this.ssthresh = this.lossThreshold(flightSize, mss);
    this.cwnd = mss;
    this.recovery = null;
    this.duplicateAcks = 0;
  }

  private lossThreshold(flightSize: number, mss: number): number {
    return Math.max(Math.floor(flightSize / 2), MIN_SSTHRESH_SEGMENTS * mss);
  }
}
