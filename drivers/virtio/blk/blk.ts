import type { Platform } from "../../../kernel/platform";
import type { BlockCapabilities, BlockDriver } from "../../block-driver";
import { FeatureBit, hasFeature } from "../features";
import type { VirtioDevice } from "../device";
import { VirtioError, VirtioTimeoutError, VirtioUsageError, type VirtioRingBrokenError } from "../errors";
import { newInterruptStats, type VirtioInterruptMode, type VirtioInterruptStats } from "../interrupts";
import type { Transport } from "../transport/transport";
import { Completion, type Virtqueue } from "../ring/virtqueue";
import { readBlkGeometry, type BlkGeometry } from "./config";
import { BLK_ID_BYTES, BLK_STATUS_BYTES, BlkFeature, BlkHeader, BlkRangeFlag, BlkRangeSegment, BlkRequestType, BlkStatus, SECTOR_SIZE } from "./constants";
import { BlkDeviceError, BlkIoError, BlkReadOnlyError, BlkUnsupportedError } from "./errors";
import { blkFeatureNames } from "./features";
import { FRAMING_DESCRIPTORS, blkLimits, wantedSegments, type BlkLimits } from "./limits";
import { RequestSlots } from "./slots";

/** Called once per completed request; the slot is free again by then. */
export type BlkCompletionHandler = (slot: number, error: VirtioError | undefined) => void;

export interface VirtioBlkOptions {
  /** Ring size cap (power of two); the device's maximum otherwise. */
  readonly maxQueueSize?: number;
  /** Complete by interrupt when the device has any (default true); false polls, for benchmarks. */
  readonly interrupts?: boolean;
}

const REQUEST_QUEUE = 0;
const NOT_IDENTIFYING = -1;
export const IDENTIFY_TIMEOUT_NS = 2_000_000_000;
const IDENTIFY_POLL_NS = 100_000;

/**
 * virtio-blk on one request queue. Requests are submitted with `submit*` (each returns the slot
 * it took, or -1 when the ring or the slot pool is full: back-pressure, try again after a
 * completion), made visible with `kick()`, and completed by `complete()`, which checks every
 * status byte and used length before calling `onComplete`. With interrupts bound, the queue's
 * interrupt calls `onInterrupt`; polled devices are asked to stay quiet. The VirtioDevice notices
 * configuration changes (`checkConfig()` asks it to look when polled) and calls `configChanged`.
 * When the ring breaks, every request in flight completes with the VirtioRingBrokenError, new
 * submissions throw it and `onBroken` is told; `reset()` (the device's `recover()`) brings a
 * working instance back. Submitting and completing allocate nothing.
 */
export class VirtioBlk implements BlockDriver {
  readonly name: string;
  readonly features: bigint;
  readonly readOnly: boolean;
  readonly queue: Virtqueue<number>;
  /** "polling" when the device has no interrupts or the options asked for none. */
  readonly interruptMode: VirtioInterruptMode;
  /** Interrupts taken (all zero when polling). */
  readonly interruptStats: VirtioInterruptStats;
  geometry: BlkGeometry;
  limits: BlkLimits;
  /** GET_ID answer, NUL-trimmed ("" if the device does not support it). */
  serial = "";
  /** Invalid statuses, used lengths, ring entries and config contents seen. */
  deviceErrors = 0;
  configChanges = 0;
  onComplete: BlkCompletionHandler | undefined;
  /** The request queue interrupted: completions may be waiting for `complete()` (event loop, never interrupt context). */
  onInterrupt: (() => void) | undefined;
  /** After the geometry was re-read (capacity change). */
  onConfigChange: (() => void) | undefined;
  /** Device faults that belong to no request (a broken ring, config re-reads). */
  onDeviceError: ((error: VirtioError) => void) | undefined;
  /** The request queue broke: nothing more is served until `reset()`. */
  onBroken: ((error: Error) => void) | undefined;

  private readonly device: VirtioDevice;
  private readonly platform: Platform;
  private readonly transport: Transport;
  private readonly slots: RequestSlots;
  private readonly indirect: boolean;
  private identifying = NOT_IDENTIFYING;
  private identifyError: VirtioError | undefined;

  constructor(device: VirtioDevice, options: VirtioBlkOptions = {}) {
    this.name = device.name;
    this.device = device;
    this.platform = device.platform;
    this.transport = device.transport;
    this.features = device.features;
    this.readOnly = device.has(BlkFeature.Ro);
    this.indirect = device.has(FeatureBit.IndirectDesc);
    this.geometry = readBlkGeometry(this.transport, this.features);
    this.interruptMode =
      options.interrupts === false
        ? "polling"
        : device.bindInterrupts({ queues: [REQUEST_QUEUE], onQueue: () => this.onInterrupt?.() });
    this.interruptStats = device.interruptStats ?? newInterruptStats();
    this.queue = device.createQueue<number>(REQUEST_QUEUE, {
      maxSize: options.maxQueueSize,
      indirectEntries: wantedSegments(this.geometry) + FRAMING_DESCRIPTORS,
    });
    if (this.interruptMode === "polling") this.queue.disableInterrupts();
    this.limits = blkLimits(this.name, this.geometry, this.queue.maxChainLength);
    this.slots = new RequestSlots(this.platform, this.queue.size);
  }

  has(bit: number): boolean {
    return hasFeature(this.features, bit);
  }

  /** Requests submitted and not completed (a broken ring's abandoned ones are completed). */
  get inFlight(): number {
    return this.slots.count - this.slots.free;
  }

  /**
   * Whether a request with `dataBytes` of data would be accepted now. Once the ring broke (or the
   * device was detached) throws the ring's error, as a submission would: there will never be room.
   */
  canSubmit(dataBytes: number): boolean {
    const broken = this.queue.broken;
    if (broken !== undefined) throw broken;
    if (this.slots.free === 0) return false;
    const descriptors = this.indirect ? 1 : Math.ceil(dataBytes / this.limits.segmentBytes) + FRAMING_DESCRIPTORS;
    return this.queue.freeCount >= descriptors;
  }

  /** The error for a request that would modify a read-only device (undefined if writable). */
  readOnlyError(request: string): BlkReadOnlyError | undefined {
    return this.readOnly ? new BlkReadOnlyError(this.name, request) : undefined;
  }

  /** The error for an operation whose feature was not negotiated. */
  unsupportedError(request: string, feature: string): BlkUnsupportedError {
    return new BlkUnsupportedError(this.name, request, `${feature} was not negotiated`);
  }

  /** Reads `bytes` (whole blocks, at most maxTransferBytes) at `sector` into DMA memory at `physical`. */
  submitRead(sector: number, physical: number, bytes: number): number {
    return this.submitData(BlkRequestType.In, sector, physical, bytes);
  }

  submitWrite(sector: number, physical: number, bytes: number): number {
    if (this.readOnly) throw this.readOnlyError(`write sector ${sector} (${bytes} bytes)`);
    return this.submitData(BlkRequestType.Out, sector, physical, bytes);
  }

  submitFlush(): number {
    if (!this.has(BlkFeature.Flush)) throw this.unsupportedError("flush", "FLUSH");
    const slot = this.acquire(BlkRequestType.Flush, 0, 0);
    if (slot < 0) return slot;
    const queue = this.queue;
    queue.begin();
    queue.addReadable(this.slots.headerPhysical(slot), BlkHeader.Size);
    queue.addWritable(this.slots.statusPhysical(slot), BLK_STATUS_BYTES);
    return this.publish(slot, BLK_STATUS_BYTES);
  }

  /** DISCARD or WRITE_ZEROES of `count` sectors (whole blocks, within the device's limit). */
  submitRange(type: typeof BlkRequestType.Discard | typeof BlkRequestType.WriteZeroes, sector: number, count: number, flags: number): number {
    const discard = type === BlkRequestType.Discard;
    const what = `${discard ? "discard" : "write-zeroes"} sector ${sector} (${count} sectors)`;
    if (!this.has(discard ? BlkFeature.Discard : BlkFeature.WriteZeroes)) throw this.unsupportedError(what, discard ? "DISCARD" : "WRITE_ZEROES");
    if (this.readOnly) throw this.readOnlyError(what);
    const limit = discard ? this.limits.maxDiscardSectors : this.limits.maxWriteZeroesSectors;
    if (!(count > 0 && count <= limit)) throw new VirtioUsageError(this.name, "request-size", `${what}: more than ${limit} sectors`);
    const slot = this.acquire(type, sector, count);
    if (slot < 0) return slot;
    this.slots.writeRangeSegment(slot, sector, count, flags);
    const queue = this.queue;
    queue.begin();
    queue.addReadable(this.slots.headerPhysical(slot), BlkHeader.Size);
    queue.addReadable(this.slots.segmentPhysical(slot), BlkRangeSegment.Size);
    queue.addWritable(this.slots.statusPhysical(slot), BLK_STATUS_BYTES);
    return this.publish(slot, BLK_STATUS_BYTES);
  }

  /** Tells the device about everything submitted since the last kick (if it wants to know). */
  kick(): void {
    this.queue.kick();
  }

  /**
   * Completes every request the device has returned; returns how many. With interrupts, the burst
   * is taken with the queue's interrupts suppressed and re-enabled without losing a late completion.
   */
  complete(): number {
    return this.interruptMode === "polling" ? this.poll() : this.queue.drain(this.pollQueue);
  }

  private readonly pollQueue = (): number => this.poll();

  /** Takes whatever completions are waiting, leaving the interrupt state alone. */
  private poll(): number {
    const queue = this.queue;
    let count = 0;
    for (;;) {
      const taken = queue.nextCompletion();
      if (taken === Completion.None) return count;
      if (taken === Completion.Broken) return count + this.abandon(queue.broken as VirtioError);
      this.finish(queue.completedToken as number, queue.completedLength);
      count++;
    }
  }

  /**
   * Polled devices: asks the device to look for a configuration change (it then calls
   * `configChanged`); returns whether there was one. With interrupts bound the config interrupt
   * brings changes and this does nothing.
   */
  checkConfig(): boolean {
    return this.device.checkConfig();
  }

  /** The device's configuration changed: takes the new geometry, keeping the old one if the device serves nonsense. */
  configChanged(): void {
    try {
      this.geometry = readBlkGeometry(this.transport, this.features);
      this.limits = blkLimits(this.name, this.geometry, this.queue.maxChainLength);
    } catch (error) {
      // The old geometry stays in force; a device serving nonsense is counted, not trusted.
      this.reportDeviceError(error instanceof VirtioError ? error : new BlkDeviceError(this.name, "config", "config", String(error)));
      return;
    }
    this.configChanges++;
    this.onConfigChange?.();
  }

  /** The request queue broke (told once by the device); requests in flight are failed by the completion that saw it. */
  ringBroken(error: VirtioRingBrokenError): void {
    this.reportDeviceError(error);
    this.onBroken?.(error);
  }

  /**
   * Resets the device and brings it up again under the same driver (`VirtioDevice.recover`): the
   * queue, slots and DMA memory are made anew and the serial asked for again. Returns the new
   * instance, which serves the device from then on; this one completes nothing more.
   */
  reset(): VirtioBlk {
    const device = this.owningDevice("reset");
    this.unhook();
    if (!device.recover()) throw device.error ?? new VirtioUsageError(this.name, "reset", `device is ${device.state}`);
    if (!(device.instance instanceof VirtioBlk)) throw new VirtioUsageError(this.name, "reset", "device came back without a virtio-blk driver");
    return device.instance;
  }

  /** Gives the device up (`VirtioDevice.fail`): reset, everything freed, FAILED set. */
  stop(cause: Error): void {
    const device = this.owningDevice("stop");
    this.unhook();
    device.fail(cause);
  }

  /** The device, as long as this instance is the one serving it. */
  private owningDevice(what: string): VirtioDevice {
    const device = this.device;
    if (device.instance !== this) throw new VirtioUsageError(this.name, what, "this driver instance no longer serves the device");
    return device;
  }

  /** Nobody hears from this instance again: a detach during teardown completes nothing. */
  private unhook(): void {
    this.onComplete = undefined;
    this.onInterrupt = undefined;
    this.onConfigChange = undefined;
    this.onBroken = undefined;
    this.onDeviceError = undefined;
  }

  /** Before the device is torn down: every request in flight fails, the queue is about to go. */
  detach(): void {
    this.abandon(new VirtioUsageError(this.name, "detached", "device detached"));
  }

  /** Asks for the serial (GET_ID) and waits, bounded; an UNSUPP answer leaves it empty. */
  identify(timeoutNs = IDENTIFY_TIMEOUT_NS): string {
    const slot = this.acquire(BlkRequestType.GetId, 0, BLK_ID_BYTES);
    if (slot < 0) throw new VirtioUsageError(this.name, "identify", "no free request slot");
    const queue = this.queue;
    queue.begin();
    queue.addReadable(this.slots.headerPhysical(slot), BlkHeader.Size);
    queue.addWritable(this.slots.idPhysical(slot), BLK_ID_BYTES);
    queue.addWritable(this.slots.statusPhysical(slot), BLK_STATUS_BYTES);
    this.identifying = slot;
    this.identifyError = undefined;
    if (this.publish(slot, BLK_ID_BYTES + BLK_STATUS_BYTES) < 0) throw new VirtioUsageError(this.name, "identify", "ring full");
    this.kick();
    const platform = this.platform;
    const deadline = platform.monotonicNs() + timeoutNs;
    while (this.identifying !== NOT_IDENTIFYING) {
      // complete(), not poll(): with interrupts, the drain re-arms the queue's interrupt on the way out.
      if (this.complete() > 0) continue;
      const now = platform.monotonicNs();
      if (now > deadline) throw new VirtioTimeoutError(this.name, "get-id", `no answer within ${timeoutNs} ns`);
      platform.waitForInterrupt(Math.min(deadline, now + IDENTIFY_POLL_NS));
    }
    // Set by finish() during complete(); TypeScript cannot see that.
    const error = this.identifyError as VirtioError | undefined;
    if (error !== undefined && !(error instanceof BlkUnsupportedError)) throw error;
    return this.serial;
  }

  private submitData(type: number, sector: number, physical: number, bytes: number): number {
    const limits = this.limits;
    if (!(bytes > 0 && bytes <= limits.maxTransferBytes && bytes % this.geometry.blockSize === 0)) {
      throw new VirtioUsageError(this.name, "request-size", `${bytes} bytes is not a whole number of blocks up to ${limits.maxTransferBytes}`);
    }
    const slot = this.acquire(type, sector, bytes);
    if (slot < 0) return slot;
    const reading = type === BlkRequestType.In;
    const queue = this.queue;
    queue.begin();
    queue.addReadable(this.slots.headerPhysical(slot), BlkHeader.Size);
    const segment = limits.segmentBytes;
    for (let offset = 0; offset < bytes; offset += segment) {
      const length = Math.min(segment, bytes - offset);
      if (reading) queue.addWritable(physical + offset, length);
      else queue.addReadable(physical + offset, length);
    }
    queue.addWritable(this.slots.statusPhysical(slot), BLK_STATUS_BYTES);
    return this.publish(slot, reading ? bytes + BLK_STATUS_BYTES : BLK_STATUS_BYTES);
  }

  private publish(slot: number, expectedWritten: number): number {
    this.slots.expectedWritten[slot] = expectedWritten;
    if (this.queue.publish(slot)) return slot;
    this.slots.release(slot);
    return -1;
  }

  private finish(slot: number, length: number): void {
    const slots = this.slots;
    const status = slots.status(slot);
    const expected = slots.expectedWritten[slot];
    let error: VirtioError | undefined;
    // The queue clamps an oversized length to the writable bytes, which is what a success writes.
    if (length === 0 || (status === BlkStatus.Ok && length !== expected)) {
      error = this.requestDeviceError(slot, "used-len", `used length ${length}, expected ${expected}`);
    } else if (status === BlkStatus.IoErr) {
      error = new BlkIoError(this.name, slots.describe(slot));
    } else if (status === BlkStatus.Unsupp) {
      error = new BlkUnsupportedError(this.name, slots.describe(slot));
    } else if (status !== BlkStatus.Ok) {
      error = this.requestDeviceError(slot, "status", `status byte ${status}`);
    }
    if (error === undefined && slot === this.identifying) this.serial = slots.serial(slot);
    this.settle(slot, error);
  }

  /** Frees the slot and reports the outcome (to `identify` or to `onComplete`). */
  private settle(slot: number, error: VirtioError | undefined): void {
    this.slots.release(slot);
    if (slot === this.identifying) {
      this.identifyError = error;
      this.identifying = NOT_IDENTIFYING;
      return;
    }
    this.onComplete?.(slot, error);
  }

  /** Fails every request in flight with `error` (the ring can no longer return them); returns how many. */
  private abandon(error: VirtioError): number {
    let count = 0;
    for (let slot = 0; slot < this.slots.count; slot++) {
      if (!this.slots.inUse(slot)) continue;
      this.settle(slot, error);
      count++;
    }
    return count;
  }

  /** A request slot, or -1 when all are taken; throws the ring's error once it broke. */
  private acquire(type: number, sector: number, amount: number): number {
    const broken = this.queue.broken;
    if (broken !== undefined) throw broken;
    return this.slots.acquire(type, sector, amount);
  }

  private requestDeviceError(slot: number, code: string, detail: string): BlkDeviceError {
    this.deviceErrors++;
    return new BlkDeviceError(this.name, code, this.slots.describe(slot), detail);
  }

  private reportDeviceError(error: VirtioError): void {
    this.deviceErrors++;
    this.onDeviceError?.(error);
  }

  // BlockDriver: the block layer's view, in logical blocks; requests become sector-addressed ones.

  get polled(): boolean {
    return this.interruptMode === "polling";
  }

  get queueDepth(): number {
    return this.queue.size;
  }

  get capabilities(): BlockCapabilities {
    return {
      readOnly: this.readOnly,
      flush: this.has(BlkFeature.Flush),
      writeCache: this.geometry.writeback,
      discard: this.has(BlkFeature.Discard),
      writeZeroes: this.has(BlkFeature.WriteZeroes),
      features: blkFeatureNames(this.features),
    };
  }

  startRead(lba: number, physical: number, bytes: number): number {
    return this.submitData(BlkRequestType.In, this.sectorOf(lba), physical, bytes);
  }

  startWrite(lba: number, physical: number, bytes: number): number {
    return this.submitWrite(this.sectorOf(lba), physical, bytes);
  }

  startFlush(): number {
    return this.submitFlush();
  }

  startDiscard(lba: number, blocks: number): number {
    return this.submitRange(BlkRequestType.Discard, this.sectorOf(lba), this.sectorOf(blocks), 0);
  }

  startWriteZeroes(lba: number, blocks: number, unmap: boolean): number {
    return this.submitRange(BlkRequestType.WriteZeroes, this.sectorOf(lba), this.sectorOf(blocks), unmap ? BlkRangeFlag.Unmap : 0);
  }

  /** Logical blocks to the protocol's 512-byte sectors. */
  private sectorOf(blocks: number): number {
    return blocks * (this.geometry.blockSize / SECTOR_SIZE);
  }
}
