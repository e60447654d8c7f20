import type { Scheduler } from "../scheduler";
import type { TcpOptions } from "./config";
import { Deadline } from "./deadline";
import { RttEstimator } from "./rtt";
import { seqAdd, seqGe, seqLt } from "./seq";

/**
 * The retransmission timer (RFC 6298) with its round-trip measurements: one segment at a time
 * is timed, and never a retransmitted one (Karn's rule).
 */
export class RetransmissionClock {
  readonly rtt: RttEstimator;
  private readonly timer: Deadline;
  /** Acknowledging this sequence number completes the running measurement. */
  private timedSeq: number | null = null;
  private timedAt = 0;
  private consecutiveTimeouts = 0;

  constructor(
    private readonly scheduler: Scheduler,
    options: TcpOptions,
    onExpire: () => void,
  ) {
    this.rtt = new RttEstimator(options.initialRtoMs, options.minRtoMs, options.maxRtoMs);
    this.timer = new Deadline(scheduler, onExpire);
  }

  /** A segment occupying `occupies` sequence numbers from `seq` left; `sndMax` as before it. */
  sent(seq: number, occupies: number, sndMax: number): void {
    if (seqLt(seq, sndMax)) this.timedSeq = null;
    else if (this.timedSeq === null) {
      this.timedSeq = seqAdd(seq, occupies);
      this.timedAt = this.scheduler.now();
    }
    this.timer.ensure(this.rtt.rtoMs);
  }

  /** New data was acknowledged up to `ack`; `allAcked` when nothing remains outstanding. */
  acknowledged(ack: number, allAcked: boolean): void {
    if (this.timedSeq !== null && seqGe(ack, this.timedSeq)) {
      this.rtt.sample(this.scheduler.now() - this.timedAt);
      this.timedSeq = null;
    }
    this.consecutiveTimeouts = 0;
    this.rtt.resetBackoff();
    if (allAcked) this.timer.stop();
    else this.timer.start(this.rtt.rtoMs);
  }

  /** Counts an expiry; false once more than `limit` expired in a row, else backs off. */
  expired(limit: number): boolean {
    this.consecutiveTimeouts++;
    if (this.consecutiveTimeouts > limit) return false;
    this.rtt.backOff();
    this.timedSeq = null;
    return true;
  }

  restart(): void {
    this.timer.start(this.rtt.rtoMs);
  }

  stop(): void {
    this.timer.stop();
  }

  /** For a connection that will send no more. */
  cancel(): void {
    this.timer.cancel();
  }
}
