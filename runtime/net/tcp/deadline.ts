import type { Scheduler, TimerHandle } from "../scheduler";

/**
 * A restartable one-shot timer. Pushing the deadline later (the retransmission timer on every
 * ACK) keeps the armed scheduler timer and re-arms when it fires early, so the hot path does not
 * churn through setTimer/clearTimer.
 */
export class Deadline {
  private handle: TimerHandle | null = null;
  private armedFor = 0;
  private due: number | null = null;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly onExpire: () => void,
  ) {}

  get pending(): boolean {
    return this.due !== null;
  }

  start(delayMs: number): void {
    const due = this.scheduler.now() + delayMs;
    this.due = due;
    if (this.handle !== null) {
      if (this.armedFor <= due) return;
      this.scheduler.clearTimer(this.handle);
    }
    this.arm(due);
  }

  /** Starts the timer unless it is already running. */
  ensure(delayMs: number): void {
    if (this.due === null) this.start(delayMs);
  }

  stop(): void {
    this.due = null;
    if (this.handle !== null) this.scheduler.clearTimer(this.handle);
    this.handle = null;
  }

  private arm(due: number): void {
    this.armedFor = due;
    this.handle = this.scheduler.setTimer(due - this.scheduler.now(), () => this.fire());
  }

  private fire(): void {
    this.handle = null;
    const due = this.due;
    if (due === null) return;
    if (this.scheduler.now() < due) return this.arm(due);
    this.due = null;
    this.onExpire();
  }
}
