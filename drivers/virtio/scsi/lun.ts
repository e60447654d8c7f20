import type { Platform } from "../../../kernel/platform";
import { BLOCK_BUSY, BlockRequestError, type BlockCapabilities, type BlockError, type BlockDriver, type BlockGeometry, type BlockLimits } from "../../block-driver";
import { VirtioError, VirtioTimeoutError, VirtioUsageError, type VirtioRingBrokenError } from "../errors";
import type { Virtqueue } from "../ring/virtqueue";
import { opName, readWrite, synchronizeCache, unmap, unmapParameters, UnmapList } from "./commands";
import { ScsiTmf } from "./constants";
import { ScsiDeviceError, ScsiOfflineError, ScsiSenseError, ScsiStatusError, ScsiTransportError } from "./errors";
import { Verdict, type ResponseReader } from "./response";
import { Asc, SenseKey, decodeSense, senseCode, type Sense } from "./sense";
import { CommandSlots } from "./slots";
import { unitAddress, unitGeometry, type ScsiUnitDescription } from "./unit";
import type { CapacityData } from "./unit-data";

/** What a logical unit needs of its controller (virtio-scsi.ts). */
export interface ScsiHost {
  readonly name: string;
  readonly platform: Platform;
  readonly requests: Virtqueue<number>;
  readonly polled: boolean;
  readonly cdbSize: number;
  readonly senseSize: number;
  /** Largest transfer the controller takes per command, in bytes. */
  readonly maxTransferBytes: number;
  readonly reader: ResponseReader;
  readonly featureNames: readonly string[];
  /** Takes every completion of the request queue and hands each to its unit; returns how many. */
  collect(): number;
  /** Polled devices: handles what the event queue brought. */
  pollEvents(): void;
  /** READ CAPACITY of one unit, synchronously (bounded). */
  readCapacity(target: number, lun: number): CapacityData;
  /** A task management function on the control queue, synchronously (bounded); returns the response byte. */
  taskManagement(subtype: number, target: number, lun: number, id: number): number;
  /** Polls the request queue until `done()` or `timeoutNs` passed; returns `done()`. */
  waitFor(done: () => boolean, timeoutNs: number): boolean;
  /** A unit reported a change that concerns the whole target (REPORTED LUNS DATA HAS CHANGED). */
  lunsChanged(target: number): void;
  /** Rescans the targets `lunsChanged` named (outside completion passes). */
  rescanChanged(): void;
}

/** What a tag carries. */
const Kind = { Read: 0, Write: 1, Flush: 2, Unmap: 3 } as const;
/** Commands sent again after UNIT ATTENTION or BUSY before the failure is reported. */
export const MAX_COMMAND_RETRIES = 4;
/** Commands per unit at once, whatever cmd_per_lun allows (slot memory). */
export const MAX_UNIT_DEPTH = 64;
/** Data area of a unit's slots: the UNMAP parameter list. */
const UNIT_DATA_BYTES = 32;
/** Tokens are owner * TAG_SPACE + tag; owner 0 is the controller's own slot. */
export const TAG_SPACE = 0x1_0000;
/** How long each step of a task-management recovery may take. */
export const RECOVERY_WAIT_NS = 2_000_000_000;
const MAX_UINT32 = 0xffff_ffff;
/** What finish() did with a completion. */
const Outcome = { Completed: 0, Resent: 1 } as const;

/** Header, data, response. */
const CHAIN_DESCRIPTORS = 3;
const KIND_NAMES = ["read", "write", "flush", "unmap"];

/**
 * One logical unit behind a virtio-scsi controller, as a block device (`BlockDriver`): READ and
 * WRITE (10 or 16), SYNCHRONIZE CACHE, UNMAP where the unit offers it. Requests share the
 * controller's request queue; each unit has its own tags and slots and collects its completions
 * from the controller. Every response is checked (ResponseReader); UNIT ATTENTION and BUSY are
 * retried a bounded number of times; sense data becomes typed errors. `reset()` aborts what is in
 * flight through the control queue (ABORT TASK, then LOGICAL UNIT RESET) and waits for the device
 * to give the requests back. A hot-unplugged unit goes offline: its requests fail and nothing
 * more is sent. Submitting and completing allocate nothing.
 */
export class ScsiLun implements BlockDriver {
  readonly name: string;
  readonly serial: string;
  readonly target: number;
  readonly lun: number;
  readonly description: ScsiUnitDescription;
  geometry: BlockGeometry;
  limits: BlockLimits;
  readonly queueDepth: number;
  onComplete: BlockDriver["onComplete"];
  onInterrupt: (() => void) | undefined;
  onConfigChange: (() => void) | undefined;
  onBroken: ((error: Error) => void) | undefined;
  /** Responses the device gave that broke the protocol. */
  deviceErrors = 0;
  /** Commands sent again (UNIT ATTENTION, BUSY). */
  retries = 0;
  /** Task management recoveries run. */
  resets = 0;
  /** Why the unit went away (hot-unplugged, or given up); undefined while it serves. */
  offline: ScsiOfflineError | undefined;

  private readonly host: ScsiHost;
  private readonly tokenBase: number;
  private readonly slots: CommandSlots;
  private readonly kind: Uint8Array;
  private readonly lba: Float64Array;
  private readonly blocks: Float64Array;
  private readonly physical: Float64Array;
  private readonly tries: Uint8Array;
  private readonly done: Int32Array;
  private readonly doneLength: Float64Array;
  private doneCount = 0;
  /** 1 while the block layer waits for the tag's completion. */
  private readonly waiting: Uint8Array;
  /** Tags the block layer waits for. */
  private busyTags = 0;
  /** Taken off the controller (hot-unplugged, detached). */
  private removed = false;
  private capacityStale = false;
  private broken: Error | undefined;
  /** While a reset gathers the requests back: they complete without a word. */
  private silenced = false;

  constructor(host: ScsiHost, owner: number, description: ScsiUnitDescription, depth: number) {
    this.host = host;
    this.target = description.target;
    this.lun = description.lun;
    this.name = `${host.name}/${unitAddress(description.target, description.lun)}`;
    this.serial = description.serial;
    this.description = description;
    this.tokenBase = owner * TAG_SPACE;
    this.queueDepth = Math.min(depth, MAX_UNIT_DEPTH, host.requests.size);
    this.slots = new CommandSlots(host.platform, this.queueDepth, host.cdbSize, host.senseSize, UNIT_DATA_BYTES);
    this.kind = new Uint8Array(this.queueDepth);
    this.lba = new Float64Array(this.queueDepth);
    this.blocks = new Float64Array(this.queueDepth);
    this.physical = new Float64Array(this.queueDepth);
    this.tries = new Uint8Array(this.queueDepth);
    this.done = new Int32Array(this.queueDepth);
    this.doneLength = new Float64Array(this.queueDepth);
    this.waiting = new Uint8Array(this.queueDepth);
    this.geometry = unitGeometry(description.capacity);
    this.limits = this.limitsFor(description.capacity.blockSize);
  }

  get inFlight(): number {
    return this.busyTags;
  }

  get polled(): boolean {
    return this.host.polled;
  }

  /** Completions recorded for this unit and not yet handed out by `complete()`. */
  get pending(): number {
    return this.doneCount;
  }

  get capabilities(): BlockCapabilities {
    const d = this.description;
    return {
      readOnly: d.writeProtected,
      flush: true,
      writeCache: d.writeCache,
      discard: d.maxUnmapBlocks > 0,
      writeZeroes: false,
      features: [...this.host.featureNames, ...(d.maxUnmapBlocks > 0 ? ["unmap"] : [])],
    };
  }

  canSubmit(_bytes: number): boolean {
    const refusal = this.refusal("submit");
    if (refusal !== undefined) throw refusal;
    // One chain is header, data and response (and data-in): three descriptors at most.
    return this.slots.free > 0 && this.host.requests.freeCount >= CHAIN_DESCRIPTORS;
  }

  startRead(lba: number, physical: number, bytes: number): number {
    return this.startData(Kind.Read, lba, physical, bytes);
  }

  startWrite(lba: number, physical: number, bytes: number): number {
    return this.startData(Kind.Write, lba, physical, bytes);
  }

  startFlush(): number {
    return this.start(Kind.Flush, 0, 0, 0);
  }

  startDiscard(lba: number, blocks: number): number {
    if (!(blocks > 0 && blocks <= this.limits.maxDiscardBlocks)) {
      throw new VirtioUsageError(this.name, "request-size", `unmap of ${blocks} blocks: the unit takes 1..${this.limits.maxDiscardBlocks}`);
    }
    return this.start(Kind.Unmap, lba, blocks, 0);
  }

  /** SCSI has WRITE SAME for this; the driver does not send it (capabilities.writeZeroes is false). */
  startWriteZeroes(lba: number, blocks: number): number {
    throw new BlockRequestError(this.name, "unsupported", `write-zeroes lba ${lba} x${blocks}: not offered by this driver`);
  }

  kick(): void {
    this.host.requests.kick();
  }

  /** Takes the controller's completions and hands out this unit's; returns how many completed. */
  complete(): number {
    this.host.collect();
    let completed = 0;
    let resent = false;
    // finish() may send a command again; its completion comes in a later pass.
    for (let i = 0; i < this.doneCount; i++) {
      const outcome = this.finish(this.done[i], this.doneLength[i]);
      if (outcome === Outcome.Resent) resent = true;
      else completed++;
    }
    this.doneCount = 0;
    if (resent) this.kick();
    return completed;
  }

  /**
   * The controller hands over a completion of one of this unit's tags. Returns true when a
   * removed unit got its last slot back (the controller then forgets it).
   */
  record(tag: number, length: number): boolean {
    if (!this.slots.inUse(tag) || this.doneCount === this.queueDepth) {
      this.deviceErrors++;
      return false;
    }
    if (this.removed) {
      // Already failed to the block layer when the unit went away; the device is done with the slot.
      this.slots.release(tag);
      return this.releaseIfIdle();
    }
    this.done[this.doneCount] = tag;
    this.doneLength[this.doneCount] = length;
    this.doneCount++;
    return false;
  }

  /**
   * Polled controllers read their event queue from here; a unit that reported CAPACITY DATA HAS
   * CHANGED (or a parameter-change event) reads its capacity again. Returns whether the geometry changed.
   */
  checkConfig(): boolean {
    if (this.host.polled) this.host.pollEvents();
    this.host.rescanChanged();
    if (!this.capacityStale || this.offline !== undefined || this.broken !== undefined) return false;
    this.capacityStale = false;
    let capacity: CapacityData;
    try {
      capacity = this.host.readCapacity(this.target, this.lun);
    } catch {
      // The old geometry stays in force; a unit serving nonsense is counted, not trusted.
      this.deviceErrors++;
      return false;
    }
    if (capacity.blocks === this.geometry.blocks && capacity.blockSize === this.geometry.blockSize) return false;
    this.geometry = unitGeometry(capacity);
    this.limits = this.limitsFor(capacity.blockSize);
    this.onConfigChange?.();
    return true;
  }

  /** The capacity may have changed (PARAM_CHANGE event, unit attention): read again at the next look. */
  markCapacityStale(): void {
    this.capacityStale = true;
  }

  /**
   * Aborts everything in flight: ABORT TASK per request, then LOGICAL UNIT RESET if any is still
   * out, and waits (bounded) until the device returned them all; they complete without a word.
   * Returns this unit, which goes on serving; throws when the device does not give them back.
   */
  reset(): BlockDriver {
    const refusal = this.refusal("reset");
    if (refusal !== undefined) throw refusal;
    this.resets++;
    this.silenced = true;
    try {
      const host = this.host;
      const drained = () => {
        this.complete();
        return this.slots.free === this.queueDepth;
      };
      try {
        for (let tag = 0; tag < this.queueDepth; tag++) {
          if (this.slots.inUse(tag)) host.taskManagement(ScsiTmf.AbortTask, this.target, this.lun, this.tokenBase + tag);
        }
      } catch (error) {
        // An abort the device does not answer: the logical unit reset below is the stronger step.
        if (!(error instanceof VirtioTimeoutError)) throw error;
      }
      if (!host.waitFor(drained, RECOVERY_WAIT_NS)) {
        host.taskManagement(ScsiTmf.LogicalUnitReset, this.target, this.lun, 0);
        if (!host.waitFor(drained, RECOVERY_WAIT_NS)) {
          throw new VirtioTimeoutError(this.name, "reset", `${this.queueDepth - this.slots.free} commands not returned after LOGICAL UNIT RESET`);
        }
      }
    } finally {
      this.silenced = false;
    }
    return this;
  }

  /** Given up: what is in flight is aborted as by `reset`, and nothing more is sent. */
  stop(cause: Error): void {
    try {
      if (this.busyTags > 0) this.reset();
    } catch {
      // Stopping is best effort; the unit is offline whatever the device does.
    }
    this.goOffline(`given up: ${cause.message}`);
  }

  /**
   * Hot-unplugged or the controller went away: what is in flight fails with an offline error at
   * once and nothing more is sent. Slots the device still holds stay allocated until it gives
   * them back (`record`); returns whether none is held (the slots are freed then).
   */
  remove(detail: string): boolean {
    this.goOffline(detail);
    this.removed = true;
    // Returned by the device but not yet handed out: theirs are free.
    for (let i = 0; i < this.doneCount; i++) this.slots.release(this.done[i]);
    this.doneCount = 0;
    const error = this.offline as ScsiOfflineError;
    for (let tag = 0; tag < this.queueDepth; tag++) {
      if (this.waiting[tag] === 0) continue;
      this.waiting[tag] = 0;
      this.busyTags--;
      this.onComplete?.(tag, error);
    }
    return this.releaseIfIdle();
  }

  /** The request queue broke: everything in flight fails, the block layer is told once. */
  ringBroken(error: VirtioRingBrokenError): void {
    if (this.broken !== undefined) return;
    this.broken = error;
    this.failInFlight(new ScsiDeviceError(this.name, "ring-broken", "request in flight", error.message));
    this.onBroken?.(error);
  }

  /** A removed unit's slots are freed once the device holds none of them. */
  private releaseIfIdle(): boolean {
    if (this.slots.free !== this.queueDepth) return false;
    this.slots.destroy();
    return true;
  }

  private goOffline(detail: string): void {
    this.offline ??= new ScsiOfflineError(this.name, "unit", detail);
  }

  /** The ring broke: the device is reset before anything reuses the slots, so they are free now. */
  private failInFlight(error: BlockError): void {
    this.doneCount = 0;
    for (let tag = 0; tag < this.queueDepth; tag++) {
      if (this.slots.inUse(tag)) this.settle(tag, error);
    }
  }

  private refusal(what: string): VirtioError | undefined {
    if (this.offline !== undefined) return new ScsiOfflineError(this.name, what, this.offline.detail);
    if (this.broken !== undefined) return this.broken as VirtioError;
    return undefined;
  }

  private limitsFor(blockSize: number): BlockLimits {
    const d = this.description;
    let maxBytes = this.host.maxTransferBytes;
    if (d.maxTransferBlocks > 0) maxBytes = Math.min(maxBytes, d.maxTransferBlocks * blockSize);
    maxBytes -= maxBytes % blockSize;
    return {
      maxTransferBytes: Math.max(maxBytes, blockSize),
      segmentBytes: Math.max(maxBytes, blockSize),
      maxSegments: 1,
      dmaAlignment: 1,
      maxDiscardBlocks: Math.min(d.maxUnmapBlocks, MAX_UINT32),
      maxWriteZeroesBlocks: 0,
    };
  }

  private startData(kind: number, lba: number, physical: number, bytes: number): number {
    const blockSize = this.geometry.blockSize;
    if (!(bytes > 0 && bytes <= this.limits.maxTransferBytes && bytes % blockSize === 0)) {
      throw new VirtioUsageError(this.name, "request-size", `${bytes} bytes is not a whole number of blocks up to ${this.limits.maxTransferBytes}`);
    }
    return this.start(kind, lba, bytes / blockSize, physical);
  }

  private start(kind: number, lba: number, blocks: number, physical: number): number {
    const refusal = this.refusal(KIND_NAMES[kind]);
    if (refusal !== undefined) throw refusal;
    const tag = this.slots.acquire();
    if (tag < 0) return BLOCK_BUSY;
    this.kind[tag] = kind;
    this.lba[tag] = lba;
    this.blocks[tag] = blocks;
    this.physical[tag] = physical;
    this.tries[tag] = 0;
    if (!this.send(tag)) {
      this.slots.release(tag);
      return BLOCK_BUSY;
    }
    this.waiting[tag] = 1;
    this.busyTags++;
    return tag;
  }

  /** Builds the command in the tag's slot and publishes it; false when the ring is full. */
  private send(tag: number): boolean {
    const slots = this.slots;
    const cdb = slots.prepare(tag, this.target, this.lun, this.tokenBase + tag);
    const kind = this.kind[tag];
    const queue = this.host.requests;
    const bytes = this.blocks[tag] * this.geometry.blockSize;
    queue.begin();
    queue.addReadable(slots.headerPhysical(tag), slots.headerBytes);
    switch (kind) {
      case Kind.Read:
        readWrite(cdb, false, this.lba[tag], this.blocks[tag]);
        queue.addWritable(slots.responsePhysical(tag), slots.responseBytes);
        queue.addWritable(this.physical[tag], bytes);
        break;
      case Kind.Write:
        readWrite(cdb, true, this.lba[tag], this.blocks[tag]);
        queue.addReadable(this.physical[tag], bytes);
        queue.addWritable(slots.responsePhysical(tag), slots.responseBytes);
        break;
      case Kind.Unmap:
        unmap(cdb, unmapParameters(slots.dataView(tag), this.lba[tag], this.blocks[tag]));
        queue.addReadable(slots.dataPhysical(tag), UnmapList.Size);
        queue.addWritable(slots.responsePhysical(tag), slots.responseBytes);
        break;
      default:
        synchronizeCache(cdb);
        queue.addWritable(slots.responsePhysical(tag), slots.responseBytes);
    }
    return queue.publish(this.tokenBase + tag);
  }

  private finish(tag: number, length: number): number {
    const kind = this.kind[tag];
    const bytes = this.blocks[tag] * this.geometry.blockSize;
    const reader = this.host.reader;
    const dataIn = kind === Kind.Read ? bytes : 0;
    const dataOut = kind === Kind.Write ? bytes : kind === Kind.Unmap ? UnmapList.Size : 0;
    const verdict = reader.read(this.slots, tag, length, dataIn, dataOut);
    let error: BlockError | undefined;
    switch (verdict) {
      case Verdict.Good:
        if (reader.residual !== 0 && kind !== Kind.Flush) error = this.deviceError(tag, "residual", `${reader.residual} of ${dataIn + dataOut} bytes not transferred`);
        break;
      case Verdict.CheckCondition: {
        const sense = decodeSense(this.slots.sense(tag), reader.senseLength);
        if (typeof sense === "string") {
          error = this.deviceError(tag, "sense", `CHECK CONDITION with unusable sense data (${sense})`);
          break;
        }
        this.noteSense(sense);
        if (sense.key === SenseKey.UnitAttention && this.resend(tag)) return Outcome.Resent;
        // RECOVERED ERROR: the command completed (SPC-4 4.5.6).
        if (sense.key !== SenseKey.RecoveredError) error = new ScsiSenseError(this.name, this.describe(tag), sense);
        break;
      }
      case Verdict.Retry:
        if (this.resend(tag)) return Outcome.Resent;
        error = new ScsiStatusError(this.name, this.describe(tag), reader.status);
        break;
      case Verdict.Status:
        error = new ScsiStatusError(this.name, this.describe(tag), reader.status);
        break;
      case Verdict.Transport:
        error = new ScsiTransportError(this.name, this.describe(tag), reader.responseName);
        break;
      default:
        error = this.deviceError(tag, "response", reader.problem);
    }
    this.settle(tag, error);
    return Outcome.Completed;
  }

  /** Sends the command again while its retries last (never during a reset). */
  private resend(tag: number): boolean {
    if (this.silenced || this.tries[tag] >= MAX_COMMAND_RETRIES || this.offline !== undefined) return false;
    this.tries[tag]++;
    this.retries++;
    return this.send(tag);
  }

  private noteSense(sense: Sense): void {
    const code = senseCode(sense);
    if (code === Asc.CapacityChanged) this.capacityStale = true;
    // The sense codes stand for the hot-plug events when those were missed: the target is rescanned.
    else if (code === Asc.ReportedLunsChanged || code === Asc.LunNotSupported) this.host.lunsChanged(this.target);
  }

  private settle(tag: number, error: BlockError | undefined): void {
    this.slots.release(tag);
    this.waiting[tag] = 0;
    this.busyTags--;
    if (!this.silenced) this.onComplete?.(tag, error);
  }

  private deviceError(tag: number, code: string, detail: string): ScsiDeviceError {
    this.deviceErrors++;
    return new ScsiDeviceError(this.name, code, this.describe(tag), detail);
  }

  /** "Read10 lba 8 x16" — for error messages only. */
  private describe(tag: number): string {
    const op = opName(this.slots.opcode(tag));
    const kind = this.kind[tag];
    if (kind === Kind.Flush) return op;
    return `${op} lba ${this.lba[tag]} x${this.blocks[tag]}`;
  }
}

