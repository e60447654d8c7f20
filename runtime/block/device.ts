import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { BlkRangeFlag, SECTOR_SIZE } from "../../drivers/virtio/blk/constants";
import type { Platform } from "../../kernel/platform";
import { BouncePool } from "./bounce";
import { checkBlocks, checkTransfer } from "./checks";
import type { BlockLoop } from "./completions";
import type { DmaBuffers } from "./dma-buffers";
import { blockInfo, type BlockInfo } from "./info";
import { BlockOperation, OpKind, type OpKindValue } from "./operation";
import { BlockScheduler } from "./scheduler";

export interface BlockDeviceOptions {
  /** Bounce buffers for callers' non-DMA memory (default 8). */
  readonly bounceBuffers?: number;
  /** Size of each (default 256 KiB, capped at the device's largest transfer). */
  readonly bounceBufferBytes?: number;
}

const DEFAULT_BOUNCE_BUFFERS = 8;
const DEFAULT_BOUNCE_BYTES = 256 * 1024;

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
 */
export class BlockDevice {
  readonly name: string;
  private currentInfo: BlockInfo;
  private readonly scheduler: BlockScheduler;

  constructor(
    readonly driver: VirtioBlk,
    platform: Platform,
    loop: BlockLoop,
    private readonly buffers: DmaBuffers,
    options: BlockDeviceOptions = {},
  ) {
    this.name = driver.name;
    this.currentInfo = blockInfo(driver);
    const bounceBytes = Math.min(options.bounceBufferBytes ?? DEFAULT_BOUNCE_BYTES, driver.limits.maxTransferBytes);
    const bounce = new BouncePool(platform, options.bounceBuffers ?? DEFAULT_BOUNCE_BUFFERS, bounceBytes - (bounceBytes % driver.geometry.blockSize));
    this.scheduler = new BlockScheduler(driver, loop, bounce);
    driver.onConfigChange = () => {
      this.currentInfo = blockInfo(driver);
    };
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

  /** Fills `into` from block `lba` on; resolves to `into`. */
  read(lba: number, into: Uint8Array): Promise<Uint8Array> {
    return this.transfer(OpKind.Read, "read", lba, into).then(() => into);
  }

  write(lba: number, data: Uint8Array): Promise<void> {
    return this.transfer(OpKind.Write, "write", lba, data);
  }

  /** Makes every write that completed before this call durable (a no-op without a write cache). */
  flush(): Promise<void> {
    if (!this.currentInfo.flush) return Promise.resolve();
    return this.scheduler.enqueue(new BlockOperation(OpKind.Flush, 0, 1, undefined, -1, 0));
  }

  /** Tells the device `count` blocks from `lba` are unused; their contents become undefined. */
  discard(lba: number, count: number): Promise<void> {
    return this.range(OpKind.Discard, "discard", lba, count, 0);
  }

  writeZeroes(lba: number, count: number, options: WriteZeroesOptions = {}): Promise<void> {
    return this.range(OpKind.WriteZeroes, "write-zeroes", lba, count, options.unmap ? BlkRangeFlag.Unmap : 0);
  }

  /** DMA memory the device reads and writes directly; reuse it across calls. */
  allocBuffer(size: number): Uint8Array {
    return this.buffers.alloc(size);
  }

  freeBuffer(buffer: Uint8Array): void {
    this.buffers.free(buffer);
  }

  private transfer(kind: OpKindValue, what: string, lba: number, buffer: Uint8Array): Promise<void> {
    const info = this.info;
    const error = checkTransfer(info, what, lba, buffer.length) ?? this.writeCheck(kind, what, lba);
    if (error !== undefined) return Promise.reject(error);
    if (buffer.length === 0) return Promise.resolve();
    const sector = lba * (info.blockSize / SECTOR_SIZE);
    return this.scheduler.enqueue(new BlockOperation(kind, sector, buffer.length, buffer, this.buffers.physicalOf(buffer), 0));
  }

  private range(kind: OpKindValue, what: string, lba: number, count: number, flags: number): Promise<void> {
    const info = this.info;
    const supported = kind === OpKind.Discard ? info.discard : info.writeZeroes;
    if (!supported) return Promise.reject(this.driver.unsupportedError(what, kind === OpKind.Discard ? "DISCARD" : "WRITE_ZEROES"));
    const error = checkBlocks(info, what, lba, count) ?? this.writeCheck(kind, what, lba);
    if (error !== undefined) return Promise.reject(error);
    if (count === 0) return Promise.resolve();
    const blockSectors = info.blockSize / SECTOR_SIZE;
    return this.scheduler.enqueue(new BlockOperation(kind, lba * blockSectors, count * blockSectors, undefined, -1, flags));
  }

  private writeCheck(kind: OpKindValue, what: string, lba: number): Error | undefined {
    return kind === OpKind.Read ? undefined : this.driver.readOnlyError(`${what} block ${lba}`);
  }
}
