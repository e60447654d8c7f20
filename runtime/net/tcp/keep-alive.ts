import type { Scheduler } from "../scheduler";
import type { KeepAliveOptions } from "./config";
import { Deadline } from "./deadline";

export interface KeepAliveEvents {
  /** Whether the connection is synchronized, so a probe means something. */
  canProbe(): boolean;
  /** Sends one probe. */
  probe(): void;
  /** Every probe went unanswered. */
  fail(): void;
}

/** Keep-alive probing (RFC 9293 3.8.4) of a peer that has gone quiet; off until configured. */
export class KeepAlive {
  private options: KeepAliveOptions | null = null;
  private probes = 0;
  private readonly timer: Deadline;

  constructor(
    scheduler: Scheduler,
    private readonly events: KeepAliveEvents,
  ) {
    this.timer = new Deadline(scheduler, () => this.expire());
  }

  /** False turns probing off. */
  configure(options: KeepAliveOptions | false): void {
    this.options = options === false ? null : options;
    this.probes = 0;
    if (this.options === null) this.timer.stop();
    else this.timer.start(this.options.idleMs);
  }

  /** A segment arrived: the peer is alive. */
  heard(): void {
    if (this.options === null) return;
    this.probes = 0;
    this.timer.start(this.options.idleMs);
  }

  /** For a connection that will probe no more. */
  cancel(): void {
    this.timer.cancel();
  }

  private expire(): void {
    const options = this.options;
    if (options === null || !this.events.canProbe()) return;
    if (this.probes >= options.probes) return this.events.fail();
    this.probes++;
    this.events.probe();
    this.timer.start(options.intervalMs);
  }
}
