/**
 * The boundary between a block layer (runtime/block) and a disk controller driver (virtio-blk in
 * the image; any other controller would offer the same). Everything here is in logical blocks and
 * bytes: a driver whose protocol counts in other units (virtio's 512-byte sectors) converts.
 */

/** Returned by the `start*` methods when the driver cannot take the request now (back-pressure). */
export const BLOCK_BUSY = -1;

/** How a request failed, in terms an application can act on. */
export type BlockFailure =
  /** The medium or the device reported an I/O error. */
  | "io"
  /** The device does not do this kind of request. */
  | "unsupported"
  /** A write, discard or write-zeroes to a read-only device. */
  | "read-only"
  /** The device answered in a way it may not (bad status, bad length): nothing of it was trusted. */
  | "device"
  /**
   * No answer in time: the request was abandoned (its deadline passed, or the device was reset
   * while it was in flight). A write that timed out may or may not have reached the medium.
   */
  | "timeout"
  /** The disk was given up (it kept failing, or came back as another disk): nothing is sent to it. */
  | "offline";

/**
 * What a failed request is reported with. `device` names the disk, `code` is a short
 * machine-readable word (the driver's own), `detail` says what was asked and what went wrong.
 */
export interface BlockError extends Error {
  readonly deviceName: string;
  readonly code: string;
  readonly detail: string;
  readonly failure: BlockFailure;
}

/**
 * A BlockError for drivers without an error family of their own, and for requests a block layer
 * refuses before submission. The code is the failure unless the driver has a more precise one.
 */
export class BlockRequestError extends Error implements BlockError {
  constructor(
    readonly deviceName: string,
    readonly failure: BlockFailure,
    readonly detail: string,
    readonly code: string = failure,
  ) {
    super(`${deviceName}: ${code}: ${detail}`);
    this.name = new.target.name;
  }
}

export function isBlockError(value: unknown, failure?: BlockFailure): value is BlockError {
  if (!(value instanceof Error)) return false;
  const kind = (value as Partial<BlockError>).failure;
  return failure === undefined ? typeof kind === "string" : kind === failure;
}

/**
 * Called once per completed request with the tag its `start*` call returned; the tag is free
 * for reuse by then. Called from `complete()`, never from interrupt context.
 */
export type BlockCompletion = (tag: number, error: BlockError | undefined) => void;

/** Size and layout of the medium. Replaced by a new object when the device reports a change. */
export interface BlockGeometry {
  /** Logical block size in bytes (a power of two): the unit of every lba and length. */
  readonly blockSize: number;
  /** Capacity in logical blocks. */
  readonly blocks: number;
  /** Smallest unit the medium writes without read-modify-write, in bytes (a multiple of blockSize). */
  readonly physicalBlockSize: number;
  /** First logical block that starts a physical block. */
  readonly alignmentOffset: number;
}

/** What one request may carry. Replaced by a new object when the geometry changes. */
export interface BlockLimits {
  /** Largest read or write per request, in bytes (a multiple of the block size). */
  readonly maxTransferBytes: number;
  /** Largest contiguous DMA segment the controller takes, in bytes. */
  readonly segmentBytes: number;
  /** Segments per request: a transfer is split into at most this many. */
  readonly maxSegments: number;
  /** Data buffers must start at a physical address that is a multiple of this (1: any). */
  readonly dmaAlignment: number;
  /** Largest discard / write-zeroes per request, in blocks; 0 when the device has none. */
  readonly maxDiscardBlocks: number;
  readonly maxWriteZeroesBlocks: number;
}

/** What the device does; read when (re)building a description of the disk, not per request. */
export interface BlockCapabilities {
  readonly readOnly: boolean;
  /** Whether a flush request exists (a device without one writes through). */
  readonly flush: boolean;
  /** Whether the device caches writes (flush needed for durability); undefined when unknown. */
  readonly writeCache: boolean | undefined;
  readonly discard: boolean;
  readonly writeZeroes: boolean;
  /** The driver's names for what it negotiated with the device, for reports. */
  readonly features: readonly string[];
}

/**
 * A disk controller driver as a block layer drives it. Requests are started with `start*` (each
 * returns a tag in 0..queueDepth-1, or BLOCK_BUSY when the driver is full: try again after a
 * completion), made visible to the device with `kick()`, and finished by `complete()`, which
 * calls `onComplete` per request. Starting and completing allocate nothing. A `start*` call
 * throws (a BlockError, or a usage error for arguments beyond the limits) instead of returning
 * when the request can never succeed.
 */
export interface BlockDriver {
  readonly name: string;
  /** The device's identification string ("" when it has none). */
  readonly serial: string;
  readonly geometry: BlockGeometry;
  readonly limits: BlockLimits;
  readonly capabilities: BlockCapabilities;
  /** Requests that can be in flight at once. */
  readonly queueDepth: number;
  readonly inFlight: number;
  /** True when completions must be polled for; otherwise `onInterrupt` announces them. */
  readonly polled: boolean;

  /** Whether a read or write of `bytes` would be accepted now; throws what a submission would once none ever will be. */
  canSubmit(bytes: number): boolean;
  /** Reads `bytes` (whole blocks, at most maxTransferBytes) at block `lba` into DMA memory at `physical`. */
  startRead(lba: number, physical: number, bytes: number): number;
  startWrite(lba: number, physical: number, bytes: number): number;
  /** Makes every write completed before it durable. */
  startFlush(): number;
  /** `blocks` at most maxDiscardBlocks. */
  startDiscard(lba: number, blocks: number): number;
  /** `unmap` lets the device deallocate the blocks (they still read back as zeros). */
  startWriteZeroes(lba: number, blocks: number, unmap: boolean): number;
  /** Tells the device about everything started since the last kick. */
  kick(): void;
  /** Completes every request the device has finished; returns how many. */
  complete(): number;
  /** Polled drivers: looks for a geometry change the device signalled; returns whether one was taken. */
  checkConfig(): boolean;

  onComplete: BlockCompletion | undefined;
  /** Completions may be waiting for `complete()` (event loop, never interrupt context). */
  onInterrupt: (() => void) | undefined;
  /** After `geometry`, `limits` and `capabilities` changed. */
  onConfigChange: (() => void) | undefined;

  /**
   * The driver can serve nothing more until its device is reset (a corrupted ring): called once,
   * from `complete()`, which fails what was in flight. Drivers that never break leave it alone.
   */
  onBroken?: ((error: Error) => void) | undefined;
  /**
   * Resets the device and initialises it again. Returns the driver that serves it from then on
   * (possibly a new instance; this one then serves and completes nothing more, and calls no hook).
   * Every request in flight is abandoned without a completion: once this returns the device no
   * longer reaches their memory. Throws when the device could not be brought back. Absent when
   * the driver cannot reset its device.
   */
  reset?(): BlockDriver;
  /** Resets the device and leaves it stopped for good (given up); requests in flight are abandoned as by `reset`. */
  stop?(cause: Error): void;
}

/** Whether a driver instance found by a bus probe is a block driver. */
export function isBlockDriver(value: unknown): value is BlockDriver {
  if (typeof value !== "object" || value === null) return false;
  const driver = value as Partial<BlockDriver>;
  return typeof driver.startRead === "function" && typeof driver.startWrite === "function" && typeof driver.complete === "function";
}
