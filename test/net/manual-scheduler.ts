import type { Scheduler, TimerHandle } from "../../runtime/net/scheduler";

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
  held: boolean;
}

/** A clock that moves only when a test advances it; timers run in due order. */
export class ManualScheduler implements Scheduler {
  private time = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = { id: this.nextId++, due: this.time + Math.max(0, delayMs), callback, held: true };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  holdTimer(handle: TimerHandle, hold: boolean): void {
    const timer = this.timers.find((t) => t.id === handle);
    if (timer === undefined) throw new Error(`holdTimer on timer ${String(handle)}, which is not armed`);
    timer.held = hold;
  }

  /** Armed timers, released ones included. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Armed timers that would keep a machine running. */
  get heldTimers(): number {
    return this.timers.filter((timer) => timer.held).length;
  }

  /** Runs every timer due within `ms`, letting promise jobs settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      const next = this.timers.reduce<Timer | null>((best, t) => (best === null || t.due < best.due || (t.due === best.due && t.id < best.id) ? t : best), null);
      if (next === null || next.due > end) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.time = next.due;
      next.callback();
      await settle();
    }
    this.time = end;
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
