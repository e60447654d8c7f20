/**
 * Timers, immediates, pollers and keep-alive holds behind the native loop hook.
 *
 * The kernel calls `tick()` after the app bundle runs and after every batch of promise jobs.
 * Each tick runs the pollers, the woken wake sources, and at most one timer or immediate callback,
 * so promise jobs queued by one callback run before the next callback, as in Node. `tick()` returns 0 to be
 * called again at once, the monotonic ns of the next timer deadline, `NO_DEADLINE` when only an
 * interrupt can bring new work, or -1 when nothing keeps the machine alive.
 */
import { TimerHeap, type HeapEntry } from "./timers/timer-heap";

type Callback = (...args: unknown[]) => void;

const NS_PER_MS = 1e6;
const TIMEOUT_MAX_MS = 2 ** 31 - 1;
/** A deadline that never comes: wait for an interrupt. */
export const NO_DEADLINE = Number.MAX_SAFE_INTEGER;

export interface Ref {
  ref(): this;
  unref(): this;
  hasRef(): boolean;
}

function checkCallback(callback: unknown): asserts callback is Callback {
  if (typeof callback !== "function") {
    throw new TypeError(`The "callback" argument must be of type function. Received ${typeof callback}`);
  }
}

function delayNs(delayMs: unknown): number {
  const ms = Number(delayMs);
  return (ms >= 1 && ms <= TIMEOUT_MAX_MS ? ms : 1) * NS_PER_MS;
}

/** The loop state that handles reach back into. */
interface LoopCore {
  now(): number;
  refCount: number;
  pendingWakes: number;
  schedule(timer: Timer, deadlineNs: number): void;
  unschedule(timer: Timer): void;
}

export class Timer implements HeapEntry, Ref {
  deadlineNs = 0;
  sequence = 0;
  heapIndex = -1;
  /** Set by clearTimeout/clearInterval; a fired timeout is not cleared, so refresh() re-arms it. */
  cleared = false;
  private referenced = true;

  constructor(
    private readonly core: LoopCore,
    readonly callback: Callback,
    readonly args: unknown[],
    readonly delayNs: number,
    readonly repeat: boolean,
  ) {}

  ref(): this {
    if (!this.referenced && this.heapIndex >= 0) this.core.refCount++;
    this.referenced = true;
    return this;
  }

  unref(): this {
    if (this.referenced && this.heapIndex >= 0) this.core.refCount--;
    this.referenced = false;
    return this;
  }

  hasRef(): boolean {
    return this.referenced;
  }

  /** Restarts the countdown from now with the original delay. */
  refresh(): this {
    if (!this.cleared) {
      this.core.unschedule(this);
      this.core.schedule(this, this.core.now() + this.delayNs);
    }
    return this;
  }
}

export class Immediate {
  cleared = false;
  constructor(readonly callback: Callback, readonly args: unknown[]) {}
}

/**
 * Work the loop runs on behalf of a device: a poller runs on every tick; a wake source runs once
 * on the tick after each `wake()` (for example from interrupt glue). While referenced and open,
 * either kind keeps the machine alive.
 */
export class LoopSource implements Ref {
  closed = false;
  pending = false;
  private referenced = true;

  constructor(
    private readonly core: LoopCore,
    readonly callback: () => void,
    readonly polling: boolean,
    private readonly detach: (source: LoopSource) => void,
  ) {
    core.refCount++;
  }

  wake(): void {
    if (this.closed || this.pending) return;
    this.pending = true;
    this.core.pendingWakes++;
  }

  ref(): this {
    if (!this.referenced && !this.closed) this.core.refCount++;
    this.referenced = true;
    return this;
  }

  unref(): this {
    if (this.referenced && !this.closed) this.core.refCount--;
    this.referenced = false;
    return this;
  }

  hasRef(): boolean {
    return this.referenced;
  }

  close(): void {
    if (this.closed) return;
    if (this.referenced) this.core.refCount--;
    if (this.pending) this.core.pendingWakes--;
    this.closed = true;
    this.pending = false;
    this.detach(this);
  }
}

export class EventLoop implements LoopCore {
  refCount = 0;
  pendingWakes = 0;
  private readonly timers = new TimerHeap<Timer>();
  private sequence = 0;
  private readonly immediates: Immediate[] = [];
  private immediateHead = 0;
  private pendingImmediates = 0;
  private readonly sources: LoopSource[] = [];
  private pollingSources = 0;
  private sourceCursor = 0;
  private readonly resolved = Promise.resolve();

  constructor(
    readonly now: () => number,
    private readonly onUncaught: (error: unknown) => void,
  ) {}

  schedule(timer: Timer, deadlineNs: number): void {
    timer.deadlineNs = deadlineNs;
    timer.sequence = this.sequence++;
    this.timers.push(timer);
    if (timer.hasRef()) this.refCount++;
  }

  unschedule(timer: Timer): void {
    if (timer.heapIndex < 0) return;
    this.timers.remove(timer);
    if (timer.hasRef()) this.refCount--;
  }

  readonly tick = (): number => {
    const now = this.now();
    this.runSources();
    const next = this.timers.peek();
    if (next !== undefined && next.deadlineNs <= now) this.runTimer(next, now);
    else if (this.pendingImmediates > 0) this.runImmediate();
    return this.nextDeadline(now);
  };

  readonly setTimeout = (callback: Callback, delayMs?: number, ...args: unknown[]): Timer =>
    this.createTimer(callback, delayMs, args, false);

  readonly setInterval = (callback: Callback, delayMs?: number, ...args: unknown[]): Timer =>
    this.createTimer(callback, delayMs, args, true);

  readonly clearTimeout = (timer: Timer | null | undefined): void => {
    if (!(timer instanceof Timer)) return;
    timer.cleared = true;
    this.unschedule(timer);
  };

  readonly clearInterval = this.clearTimeout;

  readonly setImmediate = (callback: Callback, ...args: unknown[]): Immediate => {
    checkCallback(callback);
    const immediate = new Immediate(callback, args);
    this.immediates.push(immediate);
    this.pendingImmediates++;
    return immediate;
  };

  readonly clearImmediate = (immediate: Immediate | null | undefined): void => {
    if (!(immediate instanceof Immediate) || immediate.cleared) return;
    immediate.cleared = true;
    if (--this.pendingImmediates === 0) {
      this.immediates.length = 0;
      this.immediateHead = 0;
    }
  };

  readonly queueMicrotask = (callback: () => void): void => {
    checkCallback(callback);
    void this.resolved.then(() => this.invoke(callback));
  };

  readonly addPoller = (poll: () => void): LoopSource => this.addSource(poll, true);

  readonly addWakeSource = (onWake: () => void): LoopSource => this.addSource(onWake, false);

  private addSource(callback: () => void, polling: boolean): LoopSource {
    checkCallback(callback);
    const source = new LoopSource(this, callback, polling, this.detachSource);
    this.sources.push(source);
    if (polling) this.pollingSources++;
    return source;
  }

  private createTimer(callback: Callback, delayMs: unknown, args: unknown[], repeat: boolean): Timer {
    checkCallback(callback);
    const delay = delayNs(delayMs);
    const timer = new Timer(this, callback, args, delay, repeat);
    this.schedule(timer, this.now() + delay);
    return timer;
  }

  private runTimer(timer: Timer, now: number): void {
    this.unschedule(timer);
    this.invoke(timer.callback, timer.args);
    if (timer.repeat && !timer.cleared && timer.heapIndex < 0) {
      // Stay on the original grid so lateness does not accumulate, skipping periods already missed.
      const missed = Math.floor((now - timer.deadlineNs) / timer.delayNs);
      this.schedule(timer, timer.deadlineNs + (missed + 1) * timer.delayNs);
    }
  }

  private runImmediate(): void {
    let immediate = this.immediates[this.immediateHead++];
    while (immediate.cleared) immediate = this.immediates[this.immediateHead++];
    this.clearImmediate(immediate);
    this.invoke(immediate.callback, immediate.args);
  }

  private runSources(): void {
    for (this.sourceCursor = 0; this.sourceCursor < this.sources.length; this.sourceCursor++) {
      const source = this.sources[this.sourceCursor];
      if (source.pending) {
        source.pending = false;
        this.pendingWakes--;
      } else if (!source.polling) {
        continue;
      }
      this.invoke(source.callback);
    }
  }

  private readonly detachSource = (source: LoopSource): void => {
    const index = this.sources.indexOf(source);
    this.sources.splice(index, 1);
    if (source.polling) this.pollingSources--;
    if (index <= this.sourceCursor) this.sourceCursor--;
  };

  private invoke(callback: Callback, args?: unknown[]): void {
    try {
      if (args === undefined || args.length === 0) callback();
      else callback(...args);
    } catch (error) {
      this.onUncaught(error);
    }
  }

  private nextDeadline(now: number): number {
    if (this.refCount === 0 && this.pendingImmediates === 0) return -1;
    if (this.pendingWakes > 0 || this.pendingImmediates > 0 || this.pollingSources > 0) return 0;
    const next = this.timers.peek();
    if (next === undefined) return NO_DEADLINE;
    return next.deadlineNs <= now ? 0 : next.deadlineNs;
  }
}

/** `now` is the monotonic clock in ns; `onUncaught` receives errors thrown by callbacks. */
export function createEventLoop(now: () => number, onUncaught: (error: unknown) => void): EventLoop {
  return new EventLoop(now, onUncaught);
}
