import { BLOCK_BUSY, type BlockDriver, type BlockError } from "../../drivers/block-driver";
import type { BouncePool } from "./bounce";
import { watchCompletions, type BlockLoop, type CompletionWatch } from "./completions";
import { BlockOperation, OpKind } from "./operation";

const NO_BOUNCE = -1;
const COMPACT_AT = 1024;

/**
 * Turns operations into device requests in FIFO order: as many at once as the ring and the
 * bounce pool allow; what does not fit waits for completions (back-pressure). Completions arrive
 * by the driver's interrupt, or by polling when it has none (see completions.ts).
 */
export class BlockScheduler {
  private readonly fifo: (BlockOperation | undefined)[] = [];
  private head = 0;
  /** Per driver tag: the operation, its bounce buffer, and the byte offset / length carried. */
  private readonly tagOp: (BlockOperation | undefined)[];
  private readonly tagBounce: Int32Array;
  private readonly tagOffset: Float64Array;
  private readonly tagLength: Float64Array;
  private readonly watch: CompletionWatch;
  /** Inside `onCompletions`, which pumps afterwards. */
  private completing = false;

  constructor(
    private readonly driver: BlockDriver,
    loop: BlockLoop,
    private readonly bounce: BouncePool,
  ) {
    const tags = driver.queueDepth;
    this.tagOp = new Array<BlockOperation | undefined>(tags).fill(undefined);
    this.tagBounce = new Int32Array(tags);
    this.tagOffset = new Float64Array(tags);
    this.tagLength = new Float64Array(tags);
    driver.onComplete = this.onComplete;
    this.watch = watchCompletions(driver, loop, this.onCompletions);
  }

  /** Operations waiting to be (fully) submitted. */
  get queued(): number {
    return this.fifo.length - this.head;
  }

  enqueue(op: BlockOperation): Promise<void> {
    this.fifo.push(op);
    this.pump();
    return op.promise;
  }

  private pump(): void {
    const driver = this.driver;
    let issued = false;
    while (this.head < this.fifo.length) {
      const op = this.fifo[this.head] as BlockOperation;
      while (!op.fullyIssued) {
        let progressed: boolean;
        try {
          progressed = this.issue(op);
        } catch (error) {
          op.fail(error as Error);
          op.settleIfDone();
          break;
        }
        if (!progressed) {
          if (issued) driver.kick();
          this.watch.setBusy(driver.inFlight > 0);
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
    if (issued) driver.kick();
    this.watch.setBusy(driver.inFlight > 0);
  }

  /** Submits the next piece of `op`; false when the device or the bounce pool is full. */
  private issue(op: BlockOperation): boolean {
    const driver = this.driver;
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
    const driver = this.driver;
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
    op.outstanding++;
    return true;
  }

  private readonly onComplete = (tag: number, error: BlockError | undefined): void => {
    const op = this.tagOp[tag];
    if (op === undefined) return;
    this.tagOp[tag] = undefined;
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
    if (!this.completing && this.queued > 0) this.watch.wake();
  };

  private readonly onCompletions = (): void => {
    const driver = this.driver;
    driver.checkConfig();
    this.completing = true;
    let completed: number;
    try {
      completed = driver.complete();
    } finally {
      this.completing = false;
    }
    if (completed > 0 || this.queued > 0) this.pump();
    else this.watch.setBusy(driver.inFlight > 0);
  };
}
