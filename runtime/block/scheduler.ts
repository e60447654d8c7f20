import { BLOCK_BUSY, type BlockDriver, type BlockError } from "../../drivers/block-driver";
import type { Scheduler, TimerHandle } from "../net/scheduler";
import type { BouncePool } from "./bounce";
import { watchCompletions, type BlockLoop, type CompletionWatch } from "./completions";
import { BlockOfflineError, BlockTimeoutError } from "./errors";
import { BlockOperation, OpKind, describeRequest } from "./operation";
import type { RecoveryBudget } from "../recovery-budget";

const NO_BOUNCE = -1;
const COMPACT_AT = 1024;

export interface SchedulerOptions {
  /** The clock and timers deadlines run on. */
  readonly time: Scheduler;
  /** How long a device request may stay unanswered, and a call may wait in the queue. */
  readonly requestTimeoutMs: number;
  readonly budget: RecoveryBudget;
  /**
   * Looks at the driver a reset brought back before anything is sent to it: an error refuses it
   * (the disk goes offline), otherwise the caller takes it on (geometry, hooks).
   */
  readonly accept: (driver: BlockDriver) => BlockOfflineError | undefined;
}

/**
 * Turns operations into device requests in FIFO order: as many at once as the ring and the
 * bounce pool allow; what does not fit waits for completions (back-pressure). Completions arrive
 * by the driver's interrupt, or by polling when it has none (see completions.ts).
 *
 * Calls queued during one event-loop turn are submitted together at its end (`turnEnd`), with
 * one notification: the continuations of a batch of completions each queue their next call in
 * the same turn.
 *
 * Every device request has a deadline (`requestTimeoutMs` from submission), and so has every
 * call still waiting in the queue (from when it was queued). One timer covers them all: it is
 * armed while anything is outstanding and cleared when the disk is still idle at the end of a
 * turn (a caller whose request just completed often queues its next one in the same turn). When a request's
 * deadline passes, or the driver reports it broke, the device is reset through the driver
 * (`reset()`): everything in flight fails with BlockTimeoutError (a request the driver already
 * failed keeps its error and is never sent again), the new driver instance is checked against
 * the disk it replaces and taken on, and the queue goes on there. More than
 * `budget.limit` resets in a minute, a failed reset or another disk coming back give the disk up:
 * every call then fails at once with the BlockOfflineError.
 */
export class BlockScheduler {
  private current: BlockDriver;
  private readonly fifo: (BlockOperation | undefined)[] = [];
  private head = 0;
  /** Per driver tag: the operation, its bounce buffer, the offset / length carried and its deadline. */
  private tagOp: (BlockOperation | undefined)[] = [];
  private tagBounce = new Int32Array(0);
  private tagOffset = new Float64Array(0);
  private tagLength = new Float64Array(0);
  private tagDeadline = new Float64Array(0);
  /** Device requests in flight (tags in use). */
  private tracked = 0;
  /** Deadline of the requests being submitted by the current pump. */
  private submitDeadline = 0;
  private watch: CompletionWatch | undefined;
  private timer: TimerHandle | undefined;
  /** Set when the driver reports it broke; acted on once its `complete()` returned. */
  private broken: Error | undefined;
  private offlineError: BlockOfflineError | undefined;
  /** Bumped by every recovery attempt, so a timer turn can tell one ran underneath it. */
  private epoch = 0;
  /** Resets that brought the disk back. */
  recoveries = 0;
  /** Device requests that came back (answered or failed), for status pages. */
  finishedRequests = 0;
  /** The most device requests in flight at once, sampled after each submission pass. */
  peakInFlight = 0;
  /** Inside `onCompletions`, which pumps afterwards. */
  private completing = false;
  /** Runs once at the end of a turn that queued calls or left the disk idle (see the class comment). */
  private readonly turnEnd: ReturnType<BlockLoop["addWakeSource"]>;
  private turnPending = false;
  /** Inside `onTurnEnd`: an idle disk's timer is cleared now rather than at the next turn's end. */
  private endingTurn = false;

  constructor(
    driver: BlockDriver,
    private readonly loop: BlockLoop,
    private readonly bounce: BouncePool,
    private readonly options: SchedulerOptions,
  ) {
    this.current = driver;
    this.turnEnd = loop.addWakeSource(this.onTurnEnd).unref();
    this.bind(driver);
  }

  /** The driver requests go to (a reset may have replaced the first one). */
  get driver(): BlockDriver {
    return this.current;
  }

  /** Why the disk was given up; undefined while it serves. */
  get offline(): BlockOfflineError | undefined {
    return this.offlineError;
  }

  /** Operations waiting to be (fully) submitted. */
  get queued(): number {
    return this.fifo.length - this.head;
  }

  enqueue(op: BlockOperation): Promise<Uint8Array | undefined> {
    if (this.offlineError !== undefined) return Promise.reject(this.offlineError);
    op.deadline = this.options.time.now() + this.options.requestTimeoutMs;
    this.fifo.push(op);
    this.requestTurnEnd();
    return op.promise;
  }

  /** Asks for `onTurnEnd` once; until it runs, the machine stays up for what was queued. */
  private requestTurnEnd(): void {
    if (this.turnPending) return;
    this.turnPending = true;
    this.turnEnd.ref().wake();
  }

  private readonly onTurnEnd = (): void => {
    this.turnPending = false;
    this.turnEnd.unref();
    if (this.offlineError !== undefined) return;
    this.endingTurn = true;
    try {
      this.pump();
    } finally {
      this.endingTurn = false;
    }
  };

  private pump(): void {
    const driver = this.current;
    this.submitDeadline = this.options.time.now() + this.options.requestTimeoutMs;
    let issued = false;
    while (this.head < this.fifo.length) {
      const op = this.fifo[this.head] as BlockOperation;
      while (op.issued !== op.total) {
        let progressed: boolean;
        try {
          progressed = this.issue(op);
        } catch (error) {
          op.fail(error as Error);
          op.settleIfDone();
          break;
        }
        if (!progressed) {
          if (issued) this.submitted(driver);
          this.settleTimer();
          return;
        }
        issued = true;
      }
      this.fifo[this.head++] = undefined;
      if (this.head === this.fifo.length || this.head >= COMPACT_AT) {
        this.fifo.splice(0, this.head);
        this.head = 0;
      }
    }
    if (issued) this.submitted(driver);
    this.settleTimer();
  }

  /** Ends a submission pass that issued requests: one notification, and the depth it reached. */
  private submitted(driver: BlockDriver): void {
    driver.kick();
    if (driver.inFlight > this.peakInFlight) this.peakInFlight = driver.inFlight;
  }

  /** Submits the next piece of `op`; false when the device or the bounce pool is full. */
  private issue(op: BlockOperation): boolean {
    const driver = this.current;
    switch (op.kind) {
      case OpKind.Read:
      case OpKind.Write:
        return this.issueData(op);
      case OpKind.Flush: {
        // Flush covers what completed before it: wait until everything ahead has come back.
        if (driver.inFlight > 0 || !this.track(op, driver.startFlush(), NO_BOUNCE, 0, 0)) return false;
        op.issued = op.total;
        return true;
      }
      default: {
        const discard = op.kind === OpKind.Discard;
        const limits = driver.limits;
        const count = Math.min(op.total - op.issued, discard ? limits.maxDiscardBlocks : limits.maxWriteZeroesBlocks);
        const lba = op.lba + op.issued;
        const tag = discard ? driver.startDiscard(lba, count) : driver.startWriteZeroes(lba, count, op.unmap);
        if (!this.track(op, tag, NO_BOUNCE, op.issued, count)) return false;
        op.issued += count;
        return true;
      }
    }
  }

  private issueData(op: BlockOperation): boolean {
    const driver = this.current;
    const offset = op.issued;
    let length = Math.min(op.total - offset, driver.limits.maxTransferBytes);
    let physical: number;
    let bounce = NO_BOUNCE;
    if (op.physical >= 0) {
      physical = op.physical + offset;
    } else {
      length = Math.min(length, this.bounce.bufferSize);
      if (!driver.canSubmit(length)) return false;
      bounce = this.bounce.acquire();
      if (bounce === NO_BOUNCE) return false;
      physical = this.bounce.physical(bounce);
      if (op.kind === OpKind.Write) this.bounce.bytes(bounce).set((op.buffer as Uint8Array).subarray(offset, offset + length));
    }
    const lba = op.lba + offset / driver.geometry.blockSize;
    const tag = op.kind === OpKind.Read ? driver.startRead(lba, physical, length) : driver.startWrite(lba, physical, length);
    if (!this.track(op, tag, bounce, offset, length)) {
      if (bounce !== NO_BOUNCE) this.bounce.release(bounce);
      return false;
    }
    op.issued += length;
    return true;
  }

  private track(op: BlockOperation, tag: number, bounce: number, offset: number, length: number): boolean {
    if (tag === BLOCK_BUSY) return false;
    this.tagOp[tag] = op;
    this.tagBounce[tag] = bounce;
    this.tagOffset[tag] = offset;
    this.tagLength[tag] = length;
    this.tagDeadline[tag] = this.submitDeadline;
    this.tracked++;
    op.outstanding++;
    return true;
  }

  /** The request under `tag` is over: its bounce buffer goes back (after filling a read) and its operation hears of it. */
  private finish(tag: number, error: Error | undefined): void {
    const op = this.tagOp[tag] as BlockOperation;
    this.tagOp[tag] = undefined;
    this.tracked--;
    this.finishedRequests++;
    const bounce = this.tagBounce[tag];
    if (bounce !== NO_BOUNCE) {
      if (error === undefined && op.kind === OpKind.Read) {
        (op.buffer as Uint8Array).set(this.bounce.bytes(bounce).subarray(0, this.tagLength[tag]), this.tagOffset[tag]);
      }
      this.bounce.release(bounce);
    }
    op.outstanding--;
    if (error !== undefined) op.fail(error);
    op.settleIfDone();
    // Failed by the driver itself (a detach): what waits in the FIFO must still be tried, and fail.
    if (!this.completing && this.queued > 0) this.watch?.wake();
  }

  private readonly onComplete = (tag: number, error: BlockError | undefined): void => {
    if (this.tagOp[tag] !== undefined) this.finish(tag, error);
  };

  private readonly onBroken = (error: Error): void => {
    this.broken ??= error;
    // Broken outside a completion pass (the device asked for a reset): recover on the next turn.
    if (!this.completing) this.watch?.wake();
  };

  private readonly onCompletions = (): void => {
    const driver = this.current;
    driver.checkConfig();
    this.completing = true;
    let completed: number;
    try {
      completed = driver.complete();
    } finally {
      this.completing = false;
    }
    const broken = this.broken;
    if (broken !== undefined) this.recover(`the driver broke: ${broken.message}`);
    else if (completed > 0 || this.queued > 0) this.pump();
    else this.settleTimer();
  };

  /**
   * Keeps the completion watch and the deadline timer in step with what is outstanding, cheaply:
   * a timer armed from idle is due exactly when what was just submitted is.
   */
  private settleTimer(): void {
    (this.watch as CompletionWatch).setBusy(this.tracked > 0);
    const busy = this.tracked > 0 || this.head < this.fifo.length;
    if (busy && this.timer === undefined) {
      this.timer = this.options.time.setTimer(this.options.requestTimeoutMs, this.onTimer);
    } else if (!busy && this.timer !== undefined) {
      if (!this.endingTurn) {
        this.requestTurnEnd();
        return;
      }
      this.options.time.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  /** Arms the timer for the earliest deadline outstanding (none when idle or offline). */
  private rearm(): void {
    const time = this.options.time;
    if (this.timer !== undefined) time.clearTimer(this.timer);
    this.timer = undefined;
    if (this.offlineError !== undefined) return;
    let next = Number.POSITIVE_INFINITY;
    for (let tag = 0; tag < this.tagOp.length; tag++) {
      if (this.tagOp[tag] !== undefined && this.tagDeadline[tag] < next) next = this.tagDeadline[tag];
    }
    // Queued calls are in deadline order; only the first not yet started matters.
    for (let i = this.head; i < this.fifo.length; i++) {
      const op = this.fifo[i] as BlockOperation;
      if (op.issued > 0) continue;
      next = Math.min(next, op.deadline);
      break;
    }
    if (next !== Number.POSITIVE_INFINITY) this.timer = time.setTimer(Math.max(0, next - time.now()), this.onTimer);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    // Whatever the device finished (an interrupt not yet seen) is taken before anything is judged late.
    const epoch = this.epoch;
    this.onCompletions();
    if (this.epoch !== epoch || this.offlineError !== undefined) return;
    const now = this.options.time.now();
    for (let tag = 0; tag < this.tagOp.length; tag++) {
      if (this.tagOp[tag] !== undefined && this.tagDeadline[tag] <= now) {
        this.recover(`${this.describe(tag)} got no answer within ${this.options.requestTimeoutMs} ms`);
        return;
      }
    }
    this.expireQueued(now);
    this.pump();
    this.rearm();
  };

  /** Fails calls that waited in the queue past their deadline; they never reached the device. */
  private expireQueued(now: number): void {
    for (let i = this.head; i < this.fifo.length; i++) {
      const op = this.fifo[i] as BlockOperation;
      // Started (or already failed): its device requests carry deadlines of their own.
      if (op.issued > 0) continue;
      if (op.deadline > now) break;
      const what = describeRequest(op, 0, op.total, this.current.geometry.blockSize);
      op.fail(new BlockTimeoutError(this.current.name, `${what}: not sent to the device within ${this.options.requestTimeoutMs} ms`));
      op.settleIfDone();
    }
  }

  /**
   * Resets the device through its driver and goes on with the driver it comes back with; gives
   * the disk up when the driver cannot reset, the budget is spent, the reset fails or the disk
   * that came back is another one. Either way everything in flight fails.
   */
  private recover(reason: string): void {
    this.epoch++;
    const old = this.current;
    this.unbind(old);
    const now = this.options.time.now();
    let next: BlockDriver | undefined;
    let refusal: BlockOfflineError | undefined;
    if (old.reset === undefined) {
      refusal = new BlockOfflineError(old.name, "no-reset", `${reason}; the driver cannot reset the device`);
    } else if (!this.options.budget.take(now)) {
      refusal = new BlockOfflineError(old.name, "recovery-limit", `${reason}; already reset ${this.options.budget.limit} times within a minute`);
    } else {
      try {
        next = old.reset();
      } catch (error) {
        refusal = new BlockOfflineError(old.name, "reset-failed", `${reason}; the device did not come back: ${(error as Error).message}`);
      }
      if (next !== undefined) refusal = this.options.accept(next);
    }
    if (refusal !== undefined) stopQuietly(next ?? old, refusal);
    // The device was reset or stopped: it no longer reaches the memory of what was in flight.
    this.abandonInFlight(now, reason);
    if (refusal !== undefined || next === undefined) {
      this.goOffline(refusal as BlockOfflineError);
      return;
    }
    this.recoveries++;
    this.current = next;
    this.bind(next);
    this.pump();
    this.rearm();
  }

  private abandonInFlight(now: number, reason: string): void {
    const name = this.current.name;
    for (let tag = 0; tag < this.tagOp.length; tag++) {
      if (this.tagOp[tag] === undefined) continue;
      const what = this.describe(tag);
      const detail =
        this.tagDeadline[tag] <= now ? `${what}: no answer within ${this.options.requestTimeoutMs} ms` : `${what}: abandoned in flight (${reason})`;
      this.finish(tag, new BlockTimeoutError(name, detail));
    }
  }

  private goOffline(error: BlockOfflineError): void {
    this.offlineError = error;
    if (this.timer !== undefined) this.options.time.clearTimer(this.timer);
    this.timer = undefined;
    for (let i = this.head; i < this.fifo.length; i++) {
      const op = this.fifo[i] as BlockOperation;
      op.fail(error);
      op.settleIfDone();
    }
    this.fifo.length = 0;
    this.head = 0;
  }

  /** Takes `driver` on: its hooks, a completion watch, tags for its queue depth. */
  private bind(driver: BlockDriver): void {
    const tags = driver.queueDepth;
    if (this.tagOp.length !== tags) {
      // Only ever with nothing in flight (construction, or a reset that changed the depth).
      this.tagOp = new Array<BlockOperation | undefined>(tags).fill(undefined);
      this.tagBounce = new Int32Array(tags);
      this.tagOffset = new Float64Array(tags);
      this.tagLength = new Float64Array(tags);
      this.tagDeadline = new Float64Array(tags);
    }
    this.broken = undefined;
    driver.onComplete = this.onComplete;
    driver.onBroken = this.onBroken;
    this.watch = watchCompletions(driver, this.loop, this.onCompletions);
  }

  /** Nothing more is taken from `driver`. */
  private unbind(driver: BlockDriver): void {
    driver.onComplete = undefined;
    driver.onBroken = undefined;
    driver.onInterrupt = undefined;
    driver.onConfigChange = undefined;
    this.watch?.close();
    this.watch = undefined;
    if (this.timer !== undefined) this.options.time.clearTimer(this.timer);
    this.timer = undefined;
  }

  private describe(tag: number): string {
    return describeRequest(this.tagOp[tag] as BlockOperation, this.tagOffset[tag], this.tagLength[tag], this.current.geometry.blockSize);
  }
}

/** Leaves a given-up device stopped if its driver can do that; the disk is offline either way. */
function stopQuietly(driver: BlockDriver, cause: Error): void {
  try {
    driver.stop?.(cause);
  } catch {
    // Stopping is best effort: nothing more is sent to the device whatever happens.
  }
}
