import type { Scheduler, TimerHandle } from "../scheduler";

/**
 * A restartable one-shot timer. The hot path starts and stops these per segment and per request,
 * so the scheduler timer is kept armed where it can be reused: pushing the deadline later keeps it
 * and re-arms when it fires early, and `stop()` leaves it armed (released, so it holds nothing up)
 * for the next `start()`. A timer that fires while stopped does nothing. `cancel()` disarms it for
 * an owner that is done with the deadline.
 */
export class Deadline {
  private handle: TimerHandle | null = null;
  private held = false;
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
      if (this.armedFor <= due) return this.hold(true);
      this.scheduler.clearTimer(this.handle);
    }
    this.arm(due);
  }

  /** Starts the timer unless it is already running. */
  ensure(delayMs: number): void {
    if (this.due === null) this.start(delayMs);
  }

  /** Stops the countdown; the armed timer stays for the next `start()` to reuse. */
  stop(): void {
    this.due = null;
    if (this.handle !== null) this.hold(false);
  }

  /** Stops the countdown and disarms the timer. */
  cancel(): void {
    this.due = null;
    if (this.handle !== null) this.scheduler.clearTimer(this.handle);
    this.handle = null;
  }

  private hold(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    this.scheduler.holdTimer(this.handle, held);
  }

  private arm(due: number): void {
    this.armedFor = due;
    this.held = true;
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
