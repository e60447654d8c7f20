import { BlockRequestError, type BlockDriver } from "../../drivers/block-driver";
import type { Platform } from "../../kernel/platform";
import type { Scheduler } from "../net/scheduler";
import { eventLoopScheduler } from "../services";
import { BouncePool } from "./bounce";
import { checkBlocks, checkTransfer } from "./checks";
import type { BlockLoop } from "./completions";
import { NOT_DMA, type DmaBuffers } from "./dma-buffers";
import type { BlockOfflineError } from "./errors";
import { blockInfo, type BlockInfo } from "./info";
import { BlockOperation, OpKind, type OpKindValue } from "./operation";
import { RecoveryBudget } from "../recovery-budget";
import { identityError } from "./recovery";
import { BlockScheduler } from "./scheduler";

export interface BlockDeviceOptions {
  /** Bounce buffers for callers' non-DMA memory (default 8). */
  readonly bounceBuffers?: number;
  /** Size of each (default 256 KiB, capped at the device's largest transfer). */
  readonly bounceBufferBytes?: number;
  /**
   * How long the device may take to answer one request, and a call may wait in the queue before
   * it reaches the device (default 30 s). A request past it fails with BlockTimeoutError and the
   * device is reset; a write that timed out may or may not have reached the medium.
   */
  readonly requestTimeoutMs?: number;
  /** Device resets within any minute before the disk is given up (default 3). */
  readonly maxRecoveriesPerMinute?: number;
  /** Clock and timers for deadlines (default: the event loop's timers and the platform's clock). */
  readonly scheduler?: Scheduler;
}

export const DEFAULT_BOUNCE_BUFFERS = 8;
export const DEFAULT_BOUNCE_BUFFER_BYTES = 256 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_RECOVERIES_PER_MINUTE = 3;

export interface WriteZeroesOptions {
  /** Let the device deallocate the blocks (they still read back as zeros). */
  readonly unmap?: boolean;
}

/**
 * A disk for apps. `lba` and `count` are in logical blocks (`info.blockSize`); lengths must be
 * whole blocks. Arguments are checked before anything is submitted; large calls are split to
 * the device's limits; calls beyond what the ring holds wait their turn. Buffers from
 * `allocBuffer` go to the device without a copy; other memory is copied once through a bounce
 * buffer.
 *
 * A device that stops answering is reset (see scheduler.ts): the calls it held fail with
 * BlockTimeoutError, later ones run on the device once it is back, and a device that keeps
 * failing is given up (`offline`; every call then fails with BlockOfflineError). `platform` must
 * be the machine's, not memory the device frees when it is reset.
 */
export class BlockDevice {
  readonly name: string;
  private currentInfo: BlockInfo;
  /** The driver `take` last followed: the scheduler's, read without two getter calls per request. */
  private current!: BlockDriver;
  /** Whether the driver must be asked for configuration changes (no config interrupt brings them). */
  private polledConfig = false;
  private readonly scheduler: BlockScheduler;

  constructor(
    driver: BlockDriver,
    platform: Platform,
    loop: BlockLoop,
    private readonly buffers: DmaBuffers,
    options: BlockDeviceOptions = {},
  ) {
    this.name = driver.name;
    this.currentInfo = blockInfo(driver);
    const bounceBytes = Math.min(options.bounceBufferBytes ?? DEFAULT_BOUNCE_BUFFER_BYTES, driver.limits.maxTransferBytes);
    const bounce = new BouncePool(platform, options.bounceBuffers ?? DEFAULT_BOUNCE_BUFFERS, bounceBytes - (bounceBytes % this.currentInfo.blockSize));
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!(requestTimeoutMs > 0)) throw new RangeError(`request timeout ${requestTimeoutMs} ms is not positive`);
    this.scheduler = new BlockScheduler(driver, loop, bounce, {
      time: options.scheduler ?? eventLoopScheduler(platform, loop),
      requestTimeoutMs,
      budget: new RecoveryBudget(options.maxRecoveriesPerMinute ?? DEFAULT_RECOVERIES_PER_MINUTE),
      accept: (next) => {
        const error = identityError(this.currentInfo, next);
        if (error === undefined) this.take(next);
        return error;
      },
    });
    this.take(driver);
  }

  /** The driver serving the disk now (a device reset brings a new one). */
  get driver(): BlockDriver {
    return this.scheduler.driver;
  }

  /** Why the disk was given up (every call fails with it); undefined while it serves. */
  get offline(): BlockOfflineError | undefined {
    return this.scheduler.offline;
  }

  /** Device requests that came back (answered or failed) since the disk was opened. */
  get finishedRequests(): number {
    return this.scheduler.finishedRequests;
  }

  /** Device resets that brought the disk back. */
  get recoveries(): number {
    return this.scheduler.recoveries;
  }

  /** Capacity and properties; notices a pending capacity change first. */
  get info(): BlockInfo {
    this.driver.checkConfig();
    return this.currentInfo;
  }

  /** Calls not yet fully handed to the device. */
  get queued(): number {
    return this.scheduler.queued;
  }

  /** Device requests in flight. */
  get inFlight(): number {
    return this.driver.inFlight;
  }

  /**
   * The most device requests in flight at once since the disk was opened or `resetPeakInFlight()`:
   * the queue depth the device actually saw (completions may come back within the same turn).
   */
  get peakInFlight(): number {
    return this.scheduler.peakInFlight;
  }

  resetPeakInFlight(): void {
    this.scheduler.peakInFlight = this.driver.inFlight;
  }

  /** Fills `into` from block `lba` on; resolves to `into`. */
  read(lba: number, into: Uint8Array): Promise<Uint8Array> {
    // A read operation resolves to its buffer itself: no second promise per read.
    return this.transfer(OpKind.Read, "read", lba, into) as Promise<Uint8Array>;
  }

  write(lba: number, data: Uint8Array): Promise<void> {
    // Resolves to undefined: only reads resolve to their buffer.
    return this.transfer(OpKind.Write, "write", lba, data) as Promise<void>;
  }

  /** Makes every write that completed before this call durable (a no-op without a write cache). */
  flush(): Promise<void> {
    if (!this.currentInfo.flush) return Promise.resolve();
    return this.scheduler.enqueue(new BlockOperation(OpKind.Flush, 0, 1, undefined, NOT_DMA, false)) as Promise<void>;
  }

  /** Tells the device `count` blocks from `lba` are unused; their contents become undefined. */
  discard(lba: number, count: number): Promise<void> {
    return this.range(OpKind.Discard, "discard", lba, count, false);
  }

  writeZeroes(lba: number, count: number, options: WriteZeroesOptions = {}): Promise<void> {
    return this.range(OpKind.WriteZeroes, "write-zeroes", lba, count, options.unmap ?? false);
  }

  /** DMA memory the device reads and writes directly; reuse it across calls. */
  allocBuffer(size: number): Uint8Array {
    return this.buffers.alloc(size);
  }

  freeBuffer(buffer: Uint8Array): void {
    this.buffers.free(buffer);
  }

  /** Follows `driver`'s geometry from now on. */
  private take(driver: BlockDriver): void {
    this.current = driver;
    this.polledConfig = driver.polled;
    this.currentInfo = blockInfo(driver);
    driver.onConfigChange = () => {
      this.currentInfo = blockInfo(driver);
    };
  }

  private transfer(kind: OpKindValue, what: string, lba: number, buffer: Uint8Array): Promise<Uint8Array | undefined> {
    // With a config interrupt a change has already come in: no need to ask the driver per request.
    const info = this.polledConfig ? this.info : this.currentInfo;
    const error = checkTransfer(info, what, lba, buffer.length) ?? this.writeCheck(kind, what, lba);
    if (error !== undefined) return Promise.reject(error);
    if (buffer.length === 0) return Promise.resolve(kind === OpKind.Read ? buffer : undefined);
    return this.scheduler.enqueue(new BlockOperation(kind, lba, buffer.length, buffer, this.directPhysical(buffer), false));
  }

  /** Where the device can reach `buffer` directly, or NOT_DMA (it goes through a bounce buffer). */
  private directPhysical(buffer: Uint8Array): number {
    const physical = this.buffers.physicalOf(buffer);
    return physical !== NOT_DMA && physical % this.current.limits.dmaAlignment === 0 ? physical : NOT_DMA;
  }

  private range(kind: OpKindValue, what: string, lba: number, count: number, unmap: boolean): Promise<void> {
    const info = this.info;
    const supported = kind === OpKind.Discard ? info.discard : info.writeZeroes;
    if (!supported) return Promise.reject(new BlockRequestError(this.name, "unsupported", `${what} block ${lba}: the device does not offer ${what}`));
    const error = checkBlocks(info, what, lba, count) ?? this.writeCheck(kind, what, lba);
    if (error !== undefined) return Promise.reject(error);
    if (count === 0) return Promise.resolve();
    return this.scheduler.enqueue(new BlockOperation(kind, lba, count, undefined, NOT_DMA, unmap)) as Promise<void>;
  }

  /** Refuses modifications of a read-only disk before anything reaches the driver. */
  private writeCheck(kind: OpKindValue, what: string, lba: number): Error | undefined {
    if (kind === OpKind.Read || !this.currentInfo.readOnly) return undefined;
    return new BlockRequestError(this.name, "read-only", `${what} block ${lba}: device is read-only`);
  }
}
