// A disk controller driver that is not virtio: requests are kept in a list, become visible to the
// "device" at kick(), and are carried out against an in-memory medium at complete(). It checks
// the BlockDriver contract from the driver's side (tags, limits, units) and records what it saw.
import {
  BLOCK_BUSY,
  BlockRequestError,
  type BlockCapabilities,
  type BlockCompletion,
  type BlockDriver,
  type BlockGeometry,
  type BlockLimits,
} from "../../drivers/block-driver";

export type ScriptedKind = "read" | "write" | "flush" | "discard" | "write-zeroes";

export interface ScriptedRequest {
  readonly kind: ScriptedKind;
  readonly lba: number;
  /** Data bytes for reads and writes, blocks for discard / write-zeroes, 0 for flush. */
  readonly amount: number;
  readonly physical: number;
  readonly unmap: boolean;
  /** Requests in flight when this one was started (flush must find none). */
  readonly inFlightBefore: number;
}

export interface ScriptedOptions {
  readonly blockSize?: number;
  readonly blocks?: number;
  readonly queueDepth?: number;
  readonly maxTransferBytes?: number;
  readonly maxDiscardBlocks?: number;
  readonly maxWriteZeroesBlocks?: number;
  readonly capabilities?: Partial<BlockCapabilities>;
  /** False: kick() raises the completion interrupt (onInterrupt) at once. */
  readonly polled?: boolean;
}

/** What the driver reaches DMA memory through (the simulated machine's memory). */
export interface ScriptedMemory {
  bytes(physical: number, length: number): Uint8Array | undefined;
}

interface Started {
  readonly tag: number;
  readonly request: ScriptedRequest;
}

export class ScriptedBlockDriver implements BlockDriver {
  readonly name = "scripted0";
  readonly serial = "scripted-serial";
  geometry: BlockGeometry;
  limits: BlockLimits;
  capabilities: BlockCapabilities;
  readonly queueDepth: number;
  readonly polled: boolean;
  onComplete: BlockCompletion | undefined;
  onInterrupt: (() => void) | undefined;
  onConfigChange: (() => void) | undefined;

  /** Every request accepted, in start order. */
  readonly log: ScriptedRequest[] = [];
  /** Blocks whose reads and writes fail with an I/O error. */
  readonly badBlocks = new Set<number>();
  medium: Uint8Array;
  busyAnswers = 0;
  maxInFlight = 0;
  kicks = 0;
  /** A capacity the device announces; taken at the next checkConfig(). */
  pendingBlocks: number | undefined;

  private readonly freeTags: number[] = [];
  private readonly started: Started[] = [];
  private readonly visible: Started[] = [];

  constructor(
    private readonly memory: ScriptedMemory,
    options: ScriptedOptions = {},
  ) {
    const blockSize = options.blockSize ?? 1024;
    const blocks = options.blocks ?? 64;
    this.geometry = { blockSize, blocks, physicalBlockSize: blockSize, alignmentOffset: 0 };
    this.limits = {
      maxTransferBytes: options.maxTransferBytes ?? 2 * blockSize,
      segmentBytes: blockSize,
      maxSegments: 2,
      dmaAlignment: 1,
      maxDiscardBlocks: options.maxDiscardBlocks ?? 4,
      maxWriteZeroesBlocks: options.maxWriteZeroesBlocks ?? 4,
    };
    this.capabilities = {
      readOnly: false,
      flush: true,
      writeCache: true,
      discard: true,
      writeZeroes: true,
      features: ["scripted"],
      ...options.capabilities,
    };
    this.queueDepth = options.queueDepth ?? 2;
    this.polled = options.polled ?? true;
    this.medium = new Uint8Array(blocks * blockSize);
    for (let tag = this.queueDepth - 1; tag >= 0; tag--) this.freeTags.push(tag);
  }

  get inFlight(): number {
    return this.queueDepth - this.freeTags.length;
  }

  canSubmit(): boolean {
    return this.freeTags.length > 0;
  }

  startRead(lba: number, physical: number, bytes: number): number {
    return this.start("read", lba, bytes, physical, false);
  }

  startWrite(lba: number, physical: number, bytes: number): number {
    if (this.capabilities.readOnly) throw new BlockRequestError(this.name, "read-only", `write block ${lba}`);
    return this.start("write", lba, bytes, physical, false);
  }

  startFlush(): number {
    return this.start("flush", 0, 0, -1, false);
  }

  startDiscard(lba: number, blocks: number): number {
    return this.start("discard", lba, blocks, -1, false);
  }

  startWriteZeroes(lba: number, blocks: number, unmap: boolean): number {
    return this.start("write-zeroes", lba, blocks, -1, unmap);
  }

  kick(): void {
    this.kicks++;
    this.visible.push(...this.started.splice(0));
    if (!this.polled && this.visible.length > 0) this.onInterrupt?.();
  }

  complete(): number {
    const done = this.visible.splice(0);
    for (const { tag, request } of done) {
      const error = this.carryOut(request);
      this.freeTags.push(tag);
      this.onComplete?.(tag, error);
    }
    return done.length;
  }

  checkConfig(): boolean {
    if (this.pendingBlocks === undefined) return false;
    this.resize(this.pendingBlocks);
    this.pendingBlocks = undefined;
    return true;
  }

  /** The device grew or shrank: new geometry, then the block layer hears of it. */
  resize(blocks: number): void {
    const medium = new Uint8Array(blocks * this.geometry.blockSize);
    medium.set(this.medium.subarray(0, Math.min(this.medium.length, medium.length)));
    this.medium = medium;
    this.geometry = { ...this.geometry, blocks };
    this.onConfigChange?.();
  }

  private start(kind: ScriptedKind, lba: number, amount: number, physical: number, unmap: boolean): number {
    this.checkArguments(kind, lba, amount);
    const tag = this.freeTags.pop();
    if (tag === undefined) {
      this.busyAnswers++;
      return BLOCK_BUSY;
    }
    const request: ScriptedRequest = { kind, lba, amount, physical, unmap, inFlightBefore: this.inFlight - 1 };
    this.log.push(request);
    this.started.push({ tag, request });
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return tag;
  }

  /** The contract's limits, enforced the way a real controller's driver would (a usage error). */
  private checkArguments(kind: ScriptedKind, lba: number, amount: number): void {
    const { blockSize, blocks } = this.geometry;
    const limits = this.limits;
    if (kind === "read" || kind === "write") {
      if (!(amount > 0 && amount <= limits.maxTransferBytes && amount % blockSize === 0)) throw new RangeError(`${kind} of ${amount} bytes`);
      amount /= blockSize;
    } else if (kind !== "flush") {
      const max = kind === "discard" ? limits.maxDiscardBlocks : limits.maxWriteZeroesBlocks;
      if (!(amount > 0 && amount <= max)) throw new RangeError(`${kind} of ${amount} blocks`);
    }
    if (!Number.isSafeInteger(lba) || lba < 0 || lba + amount > blocks) throw new RangeError(`${kind} at block ${lba} beyond the medium`);
  }

  private carryOut(request: ScriptedRequest): BlockRequestError | undefined {
    const { blockSize } = this.geometry;
    const { kind, lba, amount } = request;
    if (kind === "flush") return undefined;
    if (kind === "discard" || kind === "write-zeroes") {
      this.medium.fill(0, lba * blockSize, (lba + amount) * blockSize);
      return undefined;
    }
    for (let block = lba; block < lba + amount / blockSize; block++) {
      if (this.badBlocks.has(block)) return new BlockRequestError(this.name, "io", `${kind} block ${block}: medium error`);
    }
    const memory = this.memory.bytes(request.physical, amount);
    if (memory === undefined) throw new Error(`${kind}: DMA range 0x${request.physical.toString(16)}+${amount} is not device memory`);
    const at = lba * blockSize;
    if (kind === "read") memory.set(this.medium.subarray(at, at + amount));
    else this.medium.set(memory, at);
    return undefined;
  }
}
