import { DmaSlab } from "../../../kernel/dma";
import type { Platform } from "../../../kernel/platform";
import type { VirtioDevice } from "../device";
import { VirtioError, VirtioTimeoutError, VirtioUsageError, type VirtioRingBrokenError } from "../errors";
import { newInterruptStats, type VirtioInterruptMode, type VirtioInterruptStats } from "../interrupts";
import { Completion, type Virtqueue } from "../ring/virtqueue";
import { inquiry, modeSense6, MODE_PAGE_ALL, readCapacity10, readCapacity16, reportLuns, testUnitReady } from "./commands";
import { readScsiConfig, type ScsiConfig } from "./config";
import { SCSI_TMF_RESPONSE_BYTES, ScsiControlType, ScsiQueue, ScsiResponse, ScsiTmf, ScsiTmfRequest } from "./constants";
import { ScsiDeviceError } from "./errors";
import { ScsiEventReader, type ScsiEventAction } from "./events";
import { scsiFeatureNames } from "./features";
import { MAX_COMMAND_RETRIES, RECOVERY_WAIT_NS, ScsiLun, TAG_SPACE, type ScsiHost } from "./lun";
import { ResponseReader, Verdict } from "./response";
import { SenseKey, decodeSense, describeSense, type Sense } from "./sense";
import { CommandSlots, setUint64, writeLunAddress } from "./slots";
import { unitAddress, type ScsiUnitDescription } from "./unit";
import {
  CAPACITY_10_OVERFLOW,
  DIRECT_ACCESS_DEVICE,
  INQUIRY_BYTES,
  MODE_SENSE_BYTES,
  READ_CAPACITY_10_BYTES,
  READ_CAPACITY_16_BYTES,
  VPD_BYTES,
  VpdPage,
  parseBlockLimits,
  parseCapacity10,
  parseCapacity16,
  parseInquiry,
  parseModeSense6,
  parseProvisioningUnmap,
  parseReportLuns,
  parseSupportedPages,
  parseUnitSerial,
  type CapacityData,
} from "./unit-data";

export interface VirtioScsiOptions {
  /** Request queue size cap (power of two); the device's maximum otherwise. */
  readonly maxQueueSize?: number;
  /** Complete by interrupt when the device has any (default true); false polls, for benchmarks. */
  readonly interrupts?: boolean;
}

/** The one command the controller itself has in flight at a time (discovery, capacity). */
const PROBE_TOKEN = 0;
/** Discovery answers land here: REPORT LUNS of up to 511 LUNs, VPD pages, mode pages. */
const PROBE_DATA_BYTES = 4096;
/** How long one discovery command may take. */
export const PROBE_TIMEOUT_NS = 2_000_000_000;
const POLL_STEP_NS = 100_000;
/** LUNs taken from one target's REPORT LUNS at most. */
export const MAX_LUNS_PER_TARGET = 256;
/** LUNs asked one by one (INQUIRY) on a target that does not do REPORT LUNS. */
const FALLBACK_LUNS = 8;
/** Event buffers kept posted. */
const EVENT_BUFFERS = 8;
/** Events one pass takes at most. */
const EVENT_PASS_BUDGET = 4 * EVENT_BUFFERS;
/** The LUN a target always answers REPORT LUNS on (SPC-4 6.33). */
const WELL_KNOWN_LUN_ZERO = 0;
const TMF_SLOT_BYTES = 32;
/** Task management functions that may be outstanding (sent, not answered) at once. */
const TMF_SLOTS = 4;

/** One discovery command's outcome. */
interface ProbeResult {
  readonly verdict: Verdict;
  /** Bytes of data returned (the transfer less the residual). */
  readonly length: number;
  readonly sense: Sense | undefined;
  readonly response: number;
}

/**
 * A virtio-scsi controller (virtio 1.2 section 5.6): the control queue (task management), the
 * event queue (hot-plug, hot-unplug, parameter changes, missed events) and the first request
 * queue, which its logical units share. Discovery scans targets 0..max_target with REPORT LUNS
 * (INQUIRY of the first LUNs where a target has none), and describes each direct-access unit with
 * INQUIRY, its VPD pages, READ CAPACITY(16) (or 10) and MODE SENSE; each becomes a `ScsiLun`, a
 * block driver of its own. Units appear and disappear with the device's events: `onUnitAdded` and
 * `onUnitRemoved` tell whoever serves them.
 */
export class VirtioScsi implements ScsiHost {
  readonly name: string;
  readonly platform: Platform;
  readonly features: bigint;
  readonly config: ScsiConfig;
  readonly control: Virtqueue<number>;
  readonly events: Virtqueue<number>;
  readonly requests: Virtqueue<number>;
  readonly interruptMode: VirtioInterruptMode;
  readonly interruptStats: VirtioInterruptStats;
  readonly reader = new ResponseReader();
  readonly featureNames: readonly string[];
  readonly maxTransferBytes: number;
  /** Units serving now, in discovery order. */
  readonly units: ScsiLun[] = [];
  /** A unit was found (after `ready`), or went away (its requests fail with an offline error). */
  onUnitAdded: ((unit: ScsiLun) => void) | undefined;
  onUnitRemoved: ((unit: ScsiLun) => void) | undefined;
  /** Responses and events the device got wrong, units it described with nonsense. */
  deviceErrors = 0;
  lastDeviceError: VirtioError | undefined;
  /** Events taken, whole-bus rescans (events missed, the device asked). */
  eventsSeen = 0;
  rescans = 0;

  private readonly probe: CommandSlots;
  private readonly tmf: DmaSlab;
  private readonly eventSlab: DmaSlab;
  private readonly eventReader: ScsiEventReader;
  /** owner index -> unit; index 0 is the probe slot. */
  private readonly owners: (ScsiLun | undefined)[] = [undefined];
  private probeDone = false;
  private probeLength = 0;
  /** 1 while the device holds the task management slot. */
  private readonly tmfHeld = new Uint8Array(TMF_SLOTS);
  private probeStuck = false;
  private collecting = false;
  private broken: VirtioRingBrokenError | undefined;
  /** Events of the current pass, acted on once it ends; events it may still take. */
  private readonly eventActions: ScsiEventAction[] = [];
  private eventBudget = 0;
  /** Targets whose LUN inventory changed, to look at once the current event pass ends. */
  private readonly changedTargets = new Set<number>();

  constructor(device: VirtioDevice, options: VirtioScsiOptions = {}) {
    this.name = device.name;
    this.platform = device.platform;
    this.features = device.features;
    this.config = readScsiConfig(this.name, device.transport);
    this.featureNames = scsiFeatureNames(this.features);
    this.interruptMode =
      options.interrupts === false
        ? "polling"
        : device.bindInterrupts({ queues: [ScsiQueue.Control, ScsiQueue.Event, ScsiQueue.Request], onQueue: this.onQueue });
    this.interruptStats = device.interruptStats ?? newInterruptStats();
    this.control = device.createQueue<number>(ScsiQueue.Control);
    this.events = device.createQueue<number>(ScsiQueue.Event);
    this.requests = device.createQueue<number>(ScsiQueue.Request, { maxSize: options.maxQueueSize });
    this.control.disableInterrupts();
    if (this.polled) this.requests.disableInterrupts();
    const sectors = this.config.maxSectors;
    this.maxTransferBytes = Math.min(MAX_DRIVER_TRANSFER_BYTES, sectors > 0 ? sectors * SECTOR_BYTES : MAX_DRIVER_TRANSFER_BYTES);
    this.probe = new CommandSlots(this.platform, 1, this.config.cdbSize, this.config.senseSize, PROBE_DATA_BYTES);
    this.tmf = new DmaSlab(this.platform, TMF_SLOTS, TMF_SLOT_BYTES);
    const eventBytes = Math.max(this.config.eventInfoSize, EVENT_MIN_BYTES);
    const eventCount = Math.min(EVENT_BUFFERS, this.events.size);
    this.eventSlab = new DmaSlab(this.platform, eventCount, eventBytes);
    this.eventReader = new ScsiEventReader(this.eventSlab);
  }

  get polled(): boolean {
    return this.interruptMode === "polling";
  }

  get cdbSize(): number {
    return this.config.cdbSize;
  }

  get senseSize(): number {
    return this.config.senseSize;
  }

  /** After DRIVER_OK: posts the event buffers and finds the units. */
  start(): void {
    for (let i = 0; i < this.eventSlab.count; i++) this.postEvent(i);
    this.events.kick();
    this.scan();
  }

  // Request queue.

  collect(): number {
    if (this.collecting) return 0;
    this.collecting = true;
    let count: number;
    try {
      count = this.polled ? this.takeRequests() : this.requests.drain(this.takeRequestsBound);
    } finally {
      this.collecting = false;
    }
    // Units with completions waiting hear of it (their block layer runs `complete()` on its own turn).
    if (count > 0) {
      const units = this.units;
      for (let i = 0; i < units.length; i++) if (units[i].pending > 0) units[i].onInterrupt?.();
    }
    return count;
  }

  private readonly takeRequestsBound = (): number => this.takeRequests();

  private takeRequests(): number {
    const queue = this.requests;
    let count = 0;
    for (;;) {
      const taken = queue.nextCompletion();
      if (taken === Completion.None) return count;
      if (taken === Completion.Broken) {
        this.ringBroken(queue.broken as VirtioRingBrokenError);
        return count;
      }
      const token = queue.completedToken as number;
      const owner = Math.floor(token / TAG_SPACE);
      if (token === PROBE_TOKEN) {
        this.probeDone = true;
        this.probeLength = queue.completedLength;
      } else {
        const unit = this.owners[owner];
        // A removed unit that got its last slot back is forgotten; its owner number is free again.
        if (unit !== undefined && unit.record(token - owner * TAG_SPACE, queue.completedLength)) this.owners[owner] = undefined;
      }
      count++;
    }
  }

  waitFor(done: () => boolean, timeoutNs: number): boolean {
    const platform = this.platform;
    const deadline = platform.monotonicNs() + timeoutNs;
    for (;;) {
      if (done()) return true;
      if (this.broken !== undefined) return false;
      if (this.collect() > 0) continue;
      const now = platform.monotonicNs();
      if (now > deadline) return done();
      platform.waitForInterrupt(Math.min(deadline, now + POLL_STEP_NS));
    }
  }

  // Interrupts and lifecycle.

  private readonly onQueue = (index: number): void => {
    if (index === ScsiQueue.Event) this.handleEvents();
    else if (index === ScsiQueue.Request) this.collect();
  };

  pollEvents(): void {
    if (this.events.hasCompletions()) this.handleEvents();
  }

  /** A queue broke: every unit fails what it has in flight and goes no further. */
  ringBroken(error: VirtioRingBrokenError): void {
    if (this.broken !== undefined) return;
    this.broken = error;
    this.reportDeviceError(error);
    for (const unit of this.units) unit.ringBroken(error);
  }

  /** Before the device is torn down: every unit goes offline and fails what is in flight. */
  detach(): void {
    const units = this.units.splice(0);
    // The device is reset next: whatever it still holds is freed with it.
    for (const unit of units) {
      unit.remove("controller detached");
      this.onUnitRemoved?.(unit);
    }
  }

  // Task management.

  /**
   * Sends one task management function and waits (bounded) for its answer; returns the response
   * byte. A function the device does not answer keeps its slot (the device may still write it)
   * and throws; `TMF_SLOTS` of them left unanswered and no more can be sent.
   */
  taskManagement(subtype: number, target: number, lun: number, id: number): number {
    const refusal = this.broken ?? (this.control.broken as VirtioError | undefined);
    if (refusal !== undefined) throw refusal;
    const slot = this.tmfHeld.indexOf(0);
    if (slot < 0) throw new VirtioTimeoutError(this.name, "tmf", `${TMF_SLOTS} task management functions were never answered`);
    const bytes = this.tmf.bytes(slot);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    view.setUint32(ScsiTmfRequest.Type, ScsiControlType.Tmf, true);
    view.setUint32(ScsiTmfRequest.Subtype, subtype, true);
    writeLunAddress(view, ScsiTmfRequest.Lun, target, lun);
    setUint64(view, ScsiTmfRequest.Id, id);
    view.setUint8(ScsiTmfRequest.Size, TMF_UNWRITTEN);
    const queue = this.control;
    queue.begin();
    queue.addReadable(this.tmf.physical(slot), ScsiTmfRequest.Size);
    queue.addWritable(this.tmf.physical(slot) + ScsiTmfRequest.Size, SCSI_TMF_RESPONSE_BYTES);
    if (!queue.publish(slot)) throw new VirtioUsageError(this.name, "tmf", "control queue full");
    this.tmfHeld[slot] = 1;
    queue.kick();
    const answered = this.waitFor(() => this.takeControl(slot), RECOVERY_WAIT_NS);
    if (!answered) throw new VirtioTimeoutError(this.name, "tmf", `task management function ${subtype} for ${unitAddress(target, lun)} got no answer`);
    const response = view.getUint8(ScsiTmfRequest.Size);
    if (response === TMF_UNWRITTEN) this.reportDeviceError(new ScsiDeviceError(this.name, "tmf", `tmf ${subtype}`, "response left unwritten"));
    return response;
  }

  /** Takes the control queue's answers (freeing their slots); whether `slot` was answered. */
  private takeControl(slot: number): boolean {
    const queue = this.control;
    for (;;) {
      const taken = queue.nextCompletion();
      if (taken === Completion.Broken) throw queue.broken as VirtioError;
      if (taken === Completion.None) return this.tmfHeld[slot] === 0;
      this.tmfHeld[queue.completedToken as number] = 0;
    }
  }

  // Discovery.

  /**
   * Sends one command to `target`/`lun` from the controller's own slot and waits (bounded).
   * UNIT ATTENTION and BUSY are retried a few times. A command the device does not give back is
   * aborted; if even that fails the slot is never used again (discovery stops).
   */
  command(target: number, lun: number, build: (cdb: DataView) => number, dataIn: number): ProbeResult {
    if (this.probeStuck) throw new VirtioTimeoutError(this.name, "probe", "an earlier discovery command was never returned");
    const broken = this.broken;
    if (broken !== undefined) throw broken;
    const slots = this.probe;
    for (let attempt = 0; ; attempt++) {
      build(slots.prepare(0, target, lun, PROBE_TOKEN));
      const queue = this.requests;
      queue.begin();
      queue.addReadable(slots.headerPhysical(0), slots.headerBytes);
      queue.addWritable(slots.responsePhysical(0), slots.responseBytes);
      if (dataIn > 0) queue.addWritable(slots.dataPhysical(0), dataIn);
      this.probeDone = false;
      if (!queue.publish(PROBE_TOKEN)) throw new VirtioUsageError(this.name, "probe", "request queue full");
      queue.kick();
      if (!this.waitFor(() => this.probeDone, PROBE_TIMEOUT_NS)) this.abandonProbe(target, lun);
      const verdict = this.reader.read(slots, 0, this.probeLength, dataIn, 0);
      const length = dataIn - this.reader.residual;
      let sense: Sense | undefined;
      if (verdict === Verdict.CheckCondition) {
        const decoded = decodeSense(slots.sense(0), this.reader.senseLength);
        if (typeof decoded === "string") {
          this.reportDeviceError(new ScsiDeviceError(this.name, "sense", unitAddress(target, lun), `unusable sense data (${decoded})`));
        } else sense = decoded;
      }
      const retry = verdict === Verdict.Retry || sense?.key === SenseKey.UnitAttention;
      if (retry && attempt < MAX_COMMAND_RETRIES) continue;
      if (verdict === Verdict.Device) this.reportDeviceError(new ScsiDeviceError(this.name, "response", unitAddress(target, lun), this.reader.problem));
      return { verdict, length: Math.max(0, length), sense, response: this.reader.response };
    }
  }

  /** The probe command got no answer: abort it, and give the slot up if even that brings nothing back. */
  private abandonProbe(target: number, lun: number): never {
    try {
      this.taskManagement(ScsiTmf.AbortTask, target, lun, PROBE_TOKEN);
    } catch {
      // Judged below by whether the command came back.
    }
    if (!this.waitFor(() => this.probeDone, PROBE_TIMEOUT_NS)) this.probeStuck = true;
    throw new VirtioTimeoutError(this.name, "probe", `command to ${unitAddress(target, lun)} got no answer within ${PROBE_TIMEOUT_NS} ns`);
  }

  private data(length: number): Uint8Array {
    return this.probe.data(0).subarray(0, length);
  }

  /** Scans every target (bounded by max_target) and reconciles the units with what answered. */
  scan(): void {
    this.rescans++;
    const seen = new Set<string>();
    for (let target = 0; target <= this.config.maxTarget; target++) {
      if (this.broken !== undefined || this.probeStuck) return;
      for (const lun of this.scanTarget(target)) seen.add(unitAddress(target, lun));
    }
    for (const unit of [...this.units]) if (!seen.has(unitAddress(unit.target, unit.lun))) this.removeUnit(unit, "no longer reported by the device");
  }

  /** Rescans one target: adds the units it now has, removes those it no longer reports. */
  rescanTarget(target: number): void {
    const present = new Set(this.scanTarget(target));
    for (const unit of [...this.units]) if (unit.target === target && !present.has(unit.lun)) this.removeUnit(unit, "no longer reported by the device");
  }

  /** The LUNs of `target` that are served after looking at it (known ones kept, new ones added). */
  private scanTarget(target: number): number[] {
    let luns: number[] | undefined;
    try {
      luns = this.listLuns(target);
    } catch (error) {
      this.reportDeviceError(error instanceof VirtioError ? error : new ScsiDeviceError(this.name, "scan", `target ${target}`, String(error)));
    }
    if (luns === undefined) return this.units.filter((u) => u.target === target).map((u) => u.lun);
    const served: number[] = [];
    for (const lun of luns) {
      if (lun > this.config.maxLun) continue;
      if (this.findUnit(target, lun) !== undefined || this.addUnit(target, lun)) served.push(lun);
    }
    return served;
  }

  /**
   * REPORT LUNS of a target; its first LUNs one by one when it has no such command; none when it
   * is absent (BAD_TARGET); undefined when the answer says nothing either way (a response the
   * device got wrong, counted by `command`, or a transport failure): the caller keeps what it knew.
   */
  private listLuns(target: number): number[] | undefined {
    const result = this.command(target, WELL_KNOWN_LUN_ZERO, (cdb) => reportLuns(cdb, PROBE_DATA_BYTES), PROBE_DATA_BYTES);
    if (result.verdict === Verdict.Device) return undefined;
    if (result.verdict === Verdict.Transport) {
      if (result.response === ScsiResponse.BadTarget) return [];
      this.reportDeviceError(new ScsiDeviceError(this.name, "report-luns", `target ${target}`, `virtio-scsi response ${this.reader.responseName}`));
      return undefined;
    }
    if (result.verdict === Verdict.Good) {
      const luns = parseReportLuns(this.data(result.length), result.length);
      if (typeof luns === "string") throw new ScsiDeviceError(this.name, "report-luns", `target ${target}`, luns);
      return luns.slice(0, MAX_LUNS_PER_TARGET);
    }
    if (result.sense?.key !== SenseKey.IllegalRequest) return [];
    const fallback: number[] = [];
    for (let lun = 0; lun < Math.min(FALLBACK_LUNS, this.config.maxLun + 1); lun++) fallback.push(lun);
    return fallback;
  }

  private findUnit(target: number, lun: number): ScsiLun | undefined {
    return this.units.find((u) => u.target === target && u.lun === lun);
  }

  /** Describes one unit and serves it if it is a disk; false otherwise (the reason is counted). */
  private addUnit(target: number, lun: number): boolean {
    let description: ScsiUnitDescription | undefined;
    try {
      description = this.describeUnit(target, lun);
    } catch (error) {
      this.reportDeviceError(error instanceof VirtioError ? error : new ScsiDeviceError(this.name, "unit", unitAddress(target, lun), String(error)));
      return false;
    }
    if (description === undefined) return false;
    let owner = this.owners.indexOf(undefined, 1);
    if (owner < 0) owner = this.owners.push(undefined) - 1;
    const unit = new ScsiLun(this, owner, description, this.config.cmdPerLun);
    this.owners[owner] = unit;
    this.units.push(unit);
    this.onUnitAdded?.(unit);
    return true;
  }

  private removeUnit(unit: ScsiLun, detail: string): void {
    const index = this.units.indexOf(unit);
    if (index < 0) return;
    this.units.splice(index, 1);
    // The device may still hold some of its commands: the unit keeps its owner number until they are back.
    if (unit.remove(detail)) this.owners[this.owners.indexOf(unit)] = undefined;
    this.onUnitRemoved?.(unit);
  }

  /** INQUIRY, VPD pages, capacity and mode data of one unit; undefined when it is not a connected disk. */
  private describeUnit(target: number, lun: number): ScsiUnitDescription | undefined {
    const where = unitAddress(target, lun);
    const standard = this.command(target, lun, (cdb) => inquiry(cdb, INQUIRY_BYTES), INQUIRY_BYTES);
    if (standard.verdict !== Verdict.Good) return undefined;
    const identity = parseInquiry(this.data(standard.length), standard.length);
    if (typeof identity === "string") throw new ScsiDeviceError(this.name, "inquiry", where, identity);
    if (identity.qualifier !== 0 || identity.deviceType !== DIRECT_ACCESS_DEVICE) return undefined;
    // A fresh unit reports its power-on UNIT ATTENTION here, and may still be spinning up.
    this.command(target, lun, testUnitReady, 0);
    const capacity = this.readCapacity(target, lun);
    const pages = this.vpd(target, lun, VpdPage.Supported, parseSupportedPages);
    const has = (page: number) => pages instanceof Set && pages.has(page);
    const serial = has(VpdPage.UnitSerial) ? this.vpd(target, lun, VpdPage.UnitSerial, parseUnitSerial) : "";
    const limits = has(VpdPage.BlockLimits) ? this.vpd(target, lun, VpdPage.BlockLimits, parseBlockLimits) : undefined;
    const unmap = has(VpdPage.Provisioning) ? this.vpd(target, lun, VpdPage.Provisioning, parseProvisioningUnmap) : false;
    const mode = this.command(target, lun, (cdb) => modeSense6(cdb, MODE_PAGE_ALL, MODE_SENSE_BYTES), MODE_SENSE_BYTES);
    const modeData = mode.verdict === Verdict.Good ? parseModeSense6(this.data(mode.length), mode.length) : undefined;
    if (typeof modeData === "string") throw new ScsiDeviceError(this.name, "mode-sense", where, modeData);
    const blockLimits = typeof limits === "object" ? limits : undefined;
    return {
      target,
      lun,
      vendor: identity.vendor,
      product: identity.product,
      serial: typeof serial === "string" ? serial : "",
      capacity,
      writeProtected: modeData?.writeProtected ?? false,
      writeCache: modeData?.writeCache,
      maxTransferBlocks: blockLimits?.maxTransferBlocks ?? 0,
      maxUnmapBlocks: unmap === true ? (blockLimits?.maxUnmapBlocks ?? 0) : 0,
    };
  }

  /** One VPD page parsed, or why not (a unit without the page is not an error). */
  private vpd<T>(target: number, lun: number, page: number, parse: (bytes: Uint8Array, length: number) => T | string): T | string {
    const result = this.command(target, lun, (cdb) => inquiry(cdb, VPD_BYTES, page), VPD_BYTES);
    if (result.verdict !== Verdict.Good) return `VPD page 0x${page.toString(16)} refused`;
    return parse(this.data(result.length), result.length);
  }

  /** READ CAPACITY(16), or (10) where the unit does not take (16); validated. */
  readCapacity(target: number, lun: number): CapacityData {
    const where = unitAddress(target, lun);
    const long = this.command(target, lun, (cdb) => readCapacity16(cdb, READ_CAPACITY_16_BYTES), READ_CAPACITY_16_BYTES);
    if (long.verdict === Verdict.Good) {
      const capacity = parseCapacity16(this.data(long.length), long.length);
      if (typeof capacity === "string") throw new ScsiDeviceError(this.name, "capacity", where, capacity);
      return capacity;
    }
    const short = this.command(target, lun, readCapacity10, READ_CAPACITY_10_BYTES);
    if (short.verdict !== Verdict.Good) {
      throw new ScsiDeviceError(this.name, "capacity", where, `READ CAPACITY failed${short.sense ? `: ${describeSense(short.sense)}` : ""}`);
    }
    const capacity = parseCapacity10(this.data(short.length), short.length);
    if (typeof capacity === "string") throw new ScsiDeviceError(this.name, "capacity", where, capacity);
    if (capacity.blocks - 1 === CAPACITY_10_OVERFLOW) throw new ScsiDeviceError(this.name, "capacity", where, "too large for READ CAPACITY(10) and (16) refused");
    return capacity;
  }

  /** Noted during a completion pass; looked at by `rescanChanged` on a later turn, never in the middle of one. */
  lunsChanged(target: number): void {
    this.changedTargets.add(target);
  }

  /** Targets a unit attention said changed (REPORTED LUNS DATA HAS CHANGED): rescanned now. */
  rescanChanged(): void {
    if (this.changedTargets.size === 0) return;
    const targets = [...this.changedTargets];
    this.changedTargets.clear();
    for (const target of targets) this.rescanTarget(target);
  }

  // Events.

  private postEvent(slot: number): void {
    const queue = this.events;
    queue.begin();
    queue.addWritable(this.eventSlab.physical(slot), this.eventSlab.slotSize);
    queue.publish(slot);
  }

  /**
   * Takes the events the device returned, posting each buffer again, then acts on them. With
   * interrupts the queue is drained (re-enabled without losing a late event); a pass takes at most
   * `EVENT_PASS_BUDGET` events, so a device flooding the queue cannot hold the driver here.
   */
  private handleEvents(): void {
    this.eventBudget = EVENT_PASS_BUDGET;
    if (this.polled) this.takeEvents();
    else this.events.drain(this.takeEventsBound);
    this.events.kick();
    const actions = this.eventActions.splice(0);
    this.act(actions);
  }

  private readonly takeEventsBound = (): number => this.takeEvents();

  private takeEvents(): number {
    const queue = this.events;
    let taken = 0;
    while (this.eventBudget > 0) {
      const result = queue.nextCompletion();
      if (result !== Completion.Taken) break;
      this.eventBudget--;
      taken++;
      const slot = queue.completedToken as number;
      const action = this.eventReader.read(slot, queue.completedLength);
      this.eventsSeen++;
      if (typeof action === "string") this.reportDeviceError(new ScsiDeviceError(this.name, "event", `event buffer ${slot}`, action));
      else this.eventActions.push(action);
      this.postEvent(slot);
    }
    return taken;
  }

  private act(actions: readonly ScsiEventAction[]): void {
    if (actions.some((a) => a.kind === "missed")) {
      this.scan();
      return;
    }
    for (const action of actions) {
      switch (action.kind) {
        case "rescan":
          this.rescanTarget(action.target);
          break;
        case "removed": {
          const unit = this.findUnit(action.target, action.lun);
          if (unit !== undefined) this.removeUnit(unit, "hot-unplugged");
          // Sent for LUN 0 it may stand for the whole target (virtio 1.2 section 5.6.6.3).
          if (action.lun === 0) this.rescanTarget(action.target);
          break;
        }
        case "changed":
          this.findUnit(action.target, action.lun)?.markCapacityStale();
          break;
      }
    }
    this.rescanChanged();
  }

  private reportDeviceError(error: VirtioError): void {
    this.deviceErrors++;
    this.lastDeviceError = error;
  }
}

const SECTOR_BYTES = 512;
/** Largest transfer per command this driver sends, whatever the device allows. */
const MAX_DRIVER_TRANSFER_BYTES = 4 * 1024 * 1024;
const EVENT_MIN_BYTES = 16;
const TMF_UNWRITTEN = 0xff;
