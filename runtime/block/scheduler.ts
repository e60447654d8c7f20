import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { BlkRangeFlag, BlkRequestType, SECTOR_SIZE } from "../../drivers/virtio/blk/constants";
import type { VirtioError } from "../../drivers/virtio/errors";
import type { BouncePool } from "./bounce";
import { watchCompletions, type BlockLoop, type CompletionWatch } from "./completions";
import { BlockOperation, OpKind } from "./operation";

const NO_BOUNCE = -1;
const COMPACT_AT = 1024;

/**
 * Turns operations into device requests in FIFO order: as many at once as the ring and the
 * bounce pool allow; what does not fit waits for completions (back-pressure). Completions arrive
 * by the queue's interrupt, or by polling when the device has none (see completions.ts).
 */
export class BlockScheduler {
  private readonly fifo: (BlockOperation | undefined)[] = [];
  private head = 0;
  /** Per driver slot: the operation, its bounce buffer, and the byte offset / length carried. */
  private readonly slotOp: (BlockOperation | undefined)[];
  private readonly slotBounce: Int32Array;
  private readonly slotOffset: Float64Array;
  private readonly slotLength: Float64Array;
  private readonly watch: CompletionWatch;

  constructor(
    private readonly blk: VirtioBlk,
    loop: BlockLoop,
    private readonly bounce: BouncePool,
  ) {
    const slots = blk.queue.size;
    this.slotOp = new Array<BlockOperation | undefined>(slots).fill(undefined);
    this.slotBounce = new Int32Array(slots);
    this.slotOffset = new Float64Array(slots);
    this.slotLength = new Float64Array(slots);
    blk.onComplete = this.onComplete;
    this.watch = watchCompletions(blk, loop, this.onCompletions);
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
    const blk = this.blk;
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
          if (issued) blk.kick();
          this.watch.setBusy(blk.inFlight > 0);
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
    if (issued) blk.kick();
    this.watch.setBusy(blk.inFlight > 0);
  }

  /** Submits the next piece of `op`; false when the device or the bounce pool is full. */
  private issue(op: BlockOperation): boolean {
    const blk = this.blk;
    switch (op.kind) {
      case OpKind.Read:
      case OpKind.Write:
        return this.issueData(op);
      case OpKind.Flush: {
        // Flush covers what completed before it: wait until everything ahead has come back.
        if (blk.inFlight > 0 || !this.track(op, blk.submitFlush(), NO_BOUNCE, 0, 0)) return false;
        op.issued = op.total;
        return true;
      }
      default: {
        const discard = op.kind === OpKind.Discard;
        const limit = discard ? blk.limits.maxDiscardSectors : blk.limits.maxWriteZeroesSectors;
        const count = Math.min(op.total - op.issued, limit);
        const type = discard ? BlkRequestType.Discard : BlkRequestType.WriteZeroes;
        const flags = discard ? 0 : op.flags & BlkRangeFlag.Unmap;
        if (!this.track(op, blk.submitRange(type, op.sector + op.issued, count, flags), NO_BOUNCE, op.issued, count)) return false;
        op.issued += count;
        return true;
      }
    }
  }

  private issueData(op: BlockOperation): boolean {
    const blk = this.blk;
    const offset = op.issued;
    let length = Math.min(op.total - offset, blk.limits.maxTransferBytes);
    let physical: number;
    let bounce = NO_BOUNCE;
    if (op.physical >= 0) {
      physical = op.physical + offset;
    } else {
      length = Math.min(length, this.bounce.bufferSize);
      if (!blk.canSubmit(length)) return false;
      bounce = this.bounce.acquire();
      if (bounce === NO_BOUNCE) return false;
      physical = this.bounce.physical(bounce);
      if (op.kind === OpKind.Write) this.bounce.bytes(bounce).set((op.buffer as Uint8Array).subarray(offset, offset + length));
    }
    const sector = op.sector + offset / SECTOR_SIZE;
    const slot = op.kind === OpKind.Read ? blk.submitRead(sector, physical, length) : blk.submitWrite(sector, physical, length);
    if (!this.track(op, slot, bounce, offset, length)) {
      if (bounce !== NO_BOUNCE) this.bounce.release(bounce);
      return false;
    }
    op.issued += length;
    return true;
  }

  private track(op: BlockOperation, slot: number, bounce: number, offset: number, length: number): boolean {
    if (slot < 0) return false;
    this.slotOp[slot] = op;
    this.slotBounce[slot] = bounce;
    this.slotOffset[slot] = offset;
    this.slotLength[slot] = length;
    op.outstanding++;
    return true;
  }

  private readonly onComplete = (slot: number, error: VirtioError | undefined): void => {
    const op = this.slotOp[slot];
    if (op === undefined) return;
    this.slotOp[slot] = undefined;
    const bounce = this.slotBounce[slot];
    if (bounce !== NO_BOUNCE) {
      if (error === undefined && op.kind === OpKind.Read) {
        (op.buffer as Uint8Array).set(this.bounce.bytes(bounce).subarray(0, this.slotLength[slot]), this.slotOffset[slot]);
      }
      this.bounce.release(bounce);
    }
    op.outstanding--;
    if (error !== undefined) op.fail(error);
    op.settleIfDone();
  };

  private readonly onCompletions = (): void => {
    const blk = this.blk;
    blk.checkConfig();
    if (blk.complete() > 0) this.pump();
    else this.watch.setBusy(blk.inFlight > 0);
  };
}
