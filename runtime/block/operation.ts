export const OpKind = { Read: 0, Write: 1, Flush: 2, Discard: 3, WriteZeroes: 4 } as const;
export type OpKindValue = (typeof OpKind)[keyof typeof OpKind];

const OP_NAMES = ["read", "write", "flush", "discard", "write-zeroes"] as const;

/**
 * One app call, split into device requests by the scheduler. Progress is counted in bytes for
 * reads and writes and in blocks for discard / write-zeroes.
 */
export class BlockOperation {
  /** Units handed to the device so far; all of them once it equals `total`. */
  issued = 0;
  /** Device requests in flight. */
  outstanding = 0;
  error: Error | undefined;
  /** Scheduler time (ms) by which the call must have reached the device; set when queued. */
  deadline = 0;
  /** Resolves to the caller's buffer for a read (what `read()` returns), to undefined otherwise. */
  readonly promise: Promise<Uint8Array | undefined>;
  private resolve!: (value: Uint8Array | undefined) => void;
  private reject!: (error: Error) => void;
  private settled = false;

  constructor(
    readonly kind: OpKindValue,
    /** First logical block. */
    readonly lba: number,
    /** Bytes or blocks in all. */
    readonly total: number,
    /** Caller's memory for reads and writes. */
    readonly buffer: Uint8Array | undefined,
    /** Physical address of buffer[0] when it is DMA memory, else -1 (bounce). */
    readonly physical: number,
    /** Write-zeroes: the device may deallocate the blocks. */
    readonly unmap: boolean,
  ) {
    this.promise = new Promise<Uint8Array | undefined>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Records the first failure and stops issuing the rest. */
  fail(error: Error): void {
    if (this.error === undefined) this.error = error;
    this.issued = this.total;
  }

  /** Settles once everything issued came back. */
  settleIfDone(): void {
    if (this.settled || this.outstanding > 0 || this.issued !== this.total) return;
    this.settled = true;
    if (this.error === undefined) this.resolve(this.kind === OpKind.Read ? this.buffer : undefined);
    else this.reject(this.error);
  }
}

/**
 * "write block 12 (8192 bytes)" for the device request carrying `length` units of `op` from
 * `offset` on (bytes for reads and writes, blocks otherwise); for error messages only.
 */
export function describeRequest(op: BlockOperation, offset: number, length: number, blockSize: number): string {
  const name = OP_NAMES[op.kind];
  switch (op.kind) {
    case OpKind.Flush:
      return name;
    case OpKind.Read:
    case OpKind.Write:
      return `${name} block ${op.lba + offset / blockSize} (${length} bytes)`;
    default:
      return `${name} block ${op.lba + offset} (${length} blocks)`;
  }
}
