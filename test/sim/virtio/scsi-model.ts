import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { ASC, OPCODE, SCSI_STATUS, SENSE_KEY, SimLogicalUnit, reportLunsData, senseData, type LogicalUnitOptions } from "../scsi-target";
import { PARK, VirtioDeviceModel, type RequestResult } from "./device-model";
import type { SimRequest } from "./request";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";
import { featureMask } from "./spec/feature-bits";
import {
  VIRTIO_SCSI_CDB_DEFAULT_SIZE,
  VIRTIO_SCSI_EVT,
  VIRTIO_SCSI_EVT_RESET,
  VIRTIO_SCSI_F,
  VIRTIO_SCSI_S,
  VIRTIO_SCSI_SENSE_DEFAULT_SIZE,
  VIRTIO_SCSI_T,
  VIRTIO_SCSI_T_EVENTS_MISSED,
  VIRTIO_SCSI_T_TMF,
  virtio_scsi_config,
  virtio_scsi_ctrl_tmf,
  virtio_scsi_event,
  virtio_scsi_req_cmd,
  virtio_scsi_resp_cmd,
} from "./spec/scsi";

const CONTROL_QUEUE = 0;
const EVENT_QUEUE = 1;
const REQUEST_HEADER_BYTES = virtio_scsi_req_cmd.cdb.offset;
const RESPONSE_HEADER_BYTES = virtio_scsi_resp_cmd.sense.offset;
const TMF_BYTES = virtio_scsi_ctrl_tmf.id.offset + 8;
const EVENT_BYTES = virtio_scsi_event.reason.offset + 4;

export interface ScsiModelOptions {
  readonly maxTarget?: number;
  readonly maxLun?: number;
  readonly queueSize?: number;
  readonly cmdPerLun?: number;
  readonly maxSectors?: number;
  /** Offer HOTPLUG and CHANGE (default true). */
  readonly hotplug?: boolean;
  readonly packed?: boolean;
  readonly inOrder?: boolean;
}

/** Ways the device misbehaves on purpose, per operation code unless said otherwise. */
export interface ScsiFaults {
  /** Commands answered with a BUSY status, this many times each. */
  readonly busy: Map<number, number>;
  /** Commands answered CHECK CONDITION with sense data no format allows (response code 0). */
  readonly badSense: Set<number>;
  /** Commands answered with a sense_len beyond sense_size. */
  readonly oversizeSense: Set<number>;
  /** Reads answered GOOD with this residual. */
  readonly residual: Map<number, number>;
  /** Commands taken and never answered, this many each (until aborted or reset). */
  readonly lose: Map<number, number>;
  /** Commands answered with this SCSI status and no sense data (RESERVATION CONFLICT...). */
  readonly status: Map<number, number>;
  /** Commands completed with this used length instead of the bytes written. */
  readonly usedLength: Map<number, number>;
  /** Commands completed without writing the response (used length covering it all the same). */
  readonly unwritten: Set<number>;
  /** Commands answered CHECK CONDITION with sense data filling sense_size exactly. */
  readonly fullSense: Set<number>;
  /** Task management requests never answered. */
  loseTmf: boolean;
  /** Answer every command with this virtio-scsi response instead of OK. */
  response: number | undefined;
  /** Aborts complete nothing (the device ignores ABORT TASK but says it succeeded). */
  ignoreAbort: boolean;
  /** Hot-unplug leaves the unit's held commands held (returned later by `returnLost`). */
  unplugKeepsLost: boolean;
}

interface Address {
  readonly target: number;
  readonly lun: number;
}

/**
 * virtio-scsi (virtio 1.2 section 5.6) in front of SimLogicalUnits: control, event and request
 * queues; the LUN address checked as the specification lays it out; responses with sense data
 * and residuals; ABORT TASK and LOGICAL UNIT RESET; hot-plug and hot-unplug events
 * (TRANSPORT_RESET with RESCAN / REMOVED), with EVENTS_MISSED when no event buffer was posted.
 */
export class ScsiModel extends VirtioDeviceModel {
  readonly deviceType = VIRTIO_DEVICE_ID.scsi;
  readonly units = new Map<string, SimLogicalUnit>();
  readonly scsiFaults: ScsiFaults = {
    busy: new Map(),
    badSense: new Set(),
    oversizeSense: new Set(),
    residual: new Map(),
    status: new Map(),
    usedLength: new Map(),
    unwritten: new Set(),
    fullSense: new Set(),
    lose: new Map(),
    loseTmf: false,
    response: undefined,
    ignoreAbort: false,
    unplugKeepsLost: false,
  };
  /** Commands taken from the request queues, task management functions, events sent. */
  commands = 0;
  readonly tmfs: number[] = [];
  eventsSent = 0;
  private missed = false;
  private readonly lost: { request: SimRequest; address: Address; id: bigint }[] = [];

  constructor(memory: SimMemory, violations: ViolationLog, options: ScsiModelOptions = {}) {
    const hotplug = options.hotplug ?? true;
    super({
      memory,
      violations,
      queueSizes: [64, 64, options.queueSize ?? 128],
      features: hotplug ? featureMask([VIRTIO_SCSI_F.HOTPLUG, VIRTIO_SCSI_F.CHANGE]) : 0n,
      configLayout: virtio_scsi_config,
      configSize: virtio_scsi_config.max_lun.offset + 4,
      packed: options.packed,
      inOrder: options.inOrder,
    });
    this.name = "virtio-scsi";
    const view = new DataView(this.config.buffer);
    const c = virtio_scsi_config;
    view.setUint32(c.num_queues.offset, 1, true);
    view.setUint32(c.seg_max.offset, 126, true);
    view.setUint32(c.max_sectors.offset, options.maxSectors ?? 0xffff, true);
    view.setUint32(c.cmd_per_lun.offset, options.cmdPerLun ?? 128, true);
    view.setUint32(c.event_info_size.offset, EVENT_BYTES, true);
    view.setUint32(c.sense_size.offset, VIRTIO_SCSI_SENSE_DEFAULT_SIZE, true);
    view.setUint32(c.cdb_size.offset, VIRTIO_SCSI_CDB_DEFAULT_SIZE, true);
    view.setUint16(c.max_target.offset, options.maxTarget ?? 7, true);
    view.setUint32(c.max_lun.offset, options.maxLun ?? 255, true);
  }

  private configValue(field: { offset: number }): number {
    return new DataView(this.config.buffer).getUint32(field.offset, true);
  }

  get senseSize(): number {
    return this.configValue(virtio_scsi_config.sense_size);
  }

  get cdbSize(): number {
    return this.configValue(virtio_scsi_config.cdb_size);
  }

  unit(target: number, lun: number): SimLogicalUnit | undefined {
    return this.units.get(`${target}:${lun}`);
  }

  /** A unit present from the start (no event). */
  attach(target: number, lun: number, options: LogicalUnitOptions): SimLogicalUnit {
    const unit = new SimLogicalUnit(options);
    this.units.set(`${target}:${lun}`, unit);
    return unit;
  }

  /** Hot-plug: the unit appears, the driver is told by an event and the target's other units by a unit attention. */
  plug(target: number, lun: number, options: LogicalUnitOptions): SimLogicalUnit {
    const unit = this.attach(target, lun, options);
    for (const [key, other] of this.units) if (other !== unit && key.startsWith(`${target}:`)) other.unitAttentions.push(ASC.REPORTED_LUNS_CHANGED);
    this.sendEvent(VIRTIO_SCSI_EVT.TRANSPORT_RESET, target, lun, VIRTIO_SCSI_EVT_RESET.RESCAN);
    return unit;
  }

  /** Hot-unplug: commands still held fail, the driver is told by an event. */
  unplug(target: number, lun: number): void {
    this.units.delete(`${target}:${lun}`);
    if (!this.scsiFaults.unplugKeepsLost) this.returnLost(VIRTIO_SCSI_S.BAD_TARGET, target, lun);
    this.sendEvent(VIRTIO_SCSI_EVT.TRANSPORT_RESET, target, lun, VIRTIO_SCSI_EVT_RESET.REMOVED);
  }

  /** A parameter change (e.g. capacity) of one unit. */
  paramChange(target: number, lun: number): void {
    this.sendEvent(VIRTIO_SCSI_EVT.PARAM_CHANGE, target, lun, ASC.CAPACITY_CHANGED[0] | (ASC.CAPACITY_CHANGED[1] << 8));
  }

  /**
   * Takes every posted event buffer away (as if the driver had posted none): events from now on
   * are missed. Returns a function that gives them back, the first carrying EVENTS_MISSED if any was.
   */
  withholdEventBuffers(): () => void {
    const queue = this.queue(EVENT_QUEUE) as NonNullable<ReturnType<ScsiModel["queue"]>>;
    const buffers = queue.parked.splice(0);
    return () => {
      queue.parked.push(...buffers);
      if (!this.missed) return;
      this.missed = false;
      const buffer = queue.parked.shift() as SimRequest;
      this.complete(buffer, this.writeEvent(buffer, VIRTIO_SCSI_EVT.NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED, 0, 0, 0));
    };
  }

  /** Completes the commands the `lose` fault holds for `target`/`lun` (all when not given) with `response`. */
  returnLost(response: number, target?: number, lun?: number): number {
    return this.finishLost((entry) => (target === undefined || entry.address.target === target) && (lun === undefined || entry.address.lun === lun), response);
  }

  /** Commands held by the `lose` fault. */
  get lostCommands(): number {
    return this.lost.length;
  }

  /** sense_size and cdb_size are the fields a driver may write (section 5.6.4). */
  protected override writeDeviceConfig(offset: number, width: number, value: number): boolean {
    const c = virtio_scsi_config;
    if (width !== 4 || (offset !== c.sense_size.offset && offset !== c.cdb_size.offset)) return false;
    new DataView(this.config.buffer).setUint32(offset, value, true);
    return true;
  }

  protected override onReset(): void {
    this.lost.length = 0;
    this.missed = false;
  }

  protected handleRequest(request: SimRequest): RequestResult {
    if (request.queue === CONTROL_QUEUE) return this.control(request);
    if (request.queue === EVENT_QUEUE) return this.eventBuffer(request);
    return this.command(request);
  }

  private eventBuffer(request: SimRequest): RequestResult {
    if (request.readableLength !== 0) this.report("event queue buffer with device-readable part");
    if (request.writableLength < EVENT_BYTES) this.report(`event buffer of ${request.writableLength} bytes < event_info_size ${EVENT_BYTES}`);
    if (this.missed) {
      this.missed = false;
      return this.writeEvent(request, VIRTIO_SCSI_EVT.NO_EVENT | VIRTIO_SCSI_T_EVENTS_MISSED, 0, 0, 0);
    }
    return PARK;
  }

  /**
   * An event as a device that gets events wrong sends it: any type and reason, whatever features
   * were negotiated, with `lunFirst` written over lun[0] and `length` as the used length when given.
   */
  sendOddEvent(event: number, target: number, lun: number, reason: number, odd: { readonly lunFirst?: number; readonly length?: number } = {}): boolean {
    const buffer = this.queue(EVENT_QUEUE)?.parked.shift();
    if (buffer === undefined) return false;
    const written = this.writeEvent(buffer, event, target, lun, reason);
    if (odd.lunFirst !== undefined) buffer.write(new Uint8Array([odd.lunFirst]), virtio_scsi_event.lun.offset);
    this.complete(buffer, odd.length ?? written);
    return true;
  }

  private sendEvent(event: number, target: number, lun: number, reason: number): void {
    const wanted = event === VIRTIO_SCSI_EVT.PARAM_CHANGE ? VIRTIO_SCSI_F.CHANGE : VIRTIO_SCSI_F.HOTPLUG;
    if (!this.driverOk || !this.negotiated(wanted)) return;
    const buffer = this.queue(EVENT_QUEUE)?.parked.shift();
    if (buffer === undefined) {
      this.missed = true;
      return;
    }
    this.complete(buffer, this.writeEvent(buffer, event, target, lun, reason) as number);
  }

  private writeEvent(request: SimRequest, event: number, target: number, lun: number, reason: number): number {
    const out = new DataView(new ArrayBuffer(EVENT_BYTES));
    out.setUint32(virtio_scsi_event.event.offset, event >>> 0, true);
    out.setUint8(virtio_scsi_event.lun.offset, 1);
    out.setUint8(virtio_scsi_event.lun.offset + 1, target);
    out.setUint8(virtio_scsi_event.lun.offset + 2, 0x40 | (lun >> 8));
    out.setUint8(virtio_scsi_event.lun.offset + 3, lun & 0xff);
    out.setUint32(virtio_scsi_event.reason.offset, reason, true);
    this.eventsSent++;
    return request.write(new Uint8Array(out.buffer));
  }

  /** The LUN field as section 5.6.6.1 lays it out: 1, target, then a flat-space LUN, then zeros. */
  private address(bytes: Uint8Array, at: number): Address | undefined {
    if (bytes[at] !== 1) {
      this.report(`lun[0] is ${bytes[at]}, not 1`);
      return undefined;
    }
    if (bytes[at + 2] >> 6 !== 1 && bytes[at + 2] !== 0) this.report(`lun[2] 0x${bytes[at + 2].toString(16)} is not flat-space addressing`);
    for (let i = 4; i < 8; i++) if (bytes[at + i] !== 0) this.report(`lun[${i}] is not 0`);
    return { target: bytes[at + 1], lun: ((bytes[at + 2] & 0x3f) << 8) | bytes[at + 3] };
  }

  private command(request: SimRequest): RequestResult {
    this.commands++;
    const readable = request.read();
    const headerBytes = REQUEST_HEADER_BYTES + this.cdbSize;
    const responseBytes = RESPONSE_HEADER_BYTES + this.senseSize;
    if (readable.length < headerBytes || request.writableLength < responseBytes) {
      this.report(`scsi command of ${readable.length}/${request.writableLength} bytes: needs a ${headerBytes}-byte header and a ${responseBytes}-byte response`);
      return 0;
    }
    const header = new DataView(readable.buffer, readable.byteOffset, headerBytes);
    const id = header.getBigUint64(virtio_scsi_req_cmd.id.offset, true);
    const cdb = readable.slice(REQUEST_HEADER_BYTES, headerBytes);
    const dataOut = readable.subarray(headerBytes);
    const dataInCapacity = request.writableLength - responseBytes;
    if (dataOut.length > 0 && dataInCapacity > 0 && !this.negotiated(VIRTIO_SCSI_F.INOUT)) this.report("bidirectional command without INOUT");
    const op = cdb[0];
    const address = this.address(readable, virtio_scsi_req_cmd.lun.offset);
    const respond = (response: number, status: number, sense: Uint8Array | undefined, dataIn: Uint8Array | undefined, residual?: number): number => {
      const out = new Uint8Array(responseBytes);
      const view = new DataView(out.buffer);
      const senseBytes = sense?.subarray(0, this.senseSize) ?? new Uint8Array(0);
      const data = dataIn?.subarray(0, dataInCapacity) ?? new Uint8Array(0);
      const transfer = dataIn !== undefined ? dataInCapacity : dataOut.length;
      view.setUint32(virtio_scsi_resp_cmd.sense_len.offset, this.scsiFaults.oversizeSense.has(op) ? this.senseSize + 1 : senseBytes.length, true);
      view.setUint32(virtio_scsi_resp_cmd.residual.offset, residual ?? (dataIn !== undefined ? transfer - data.length : 0), true);
      view.setUint8(virtio_scsi_resp_cmd.status.offset, status);
      view.setUint8(virtio_scsi_resp_cmd.response.offset, response);
      out.set(senseBytes, RESPONSE_HEADER_BYTES);
      if (!this.scsiFaults.unwritten.has(op)) request.write(out);
      request.write(data, responseBytes);
      return this.scsiFaults.usedLength.get(op) ?? responseBytes + data.length;
    };
    if (address === undefined) return respond(VIRTIO_SCSI_S.BAD_TARGET, 0, undefined, undefined);
    if (this.scsiFaults.response !== undefined) return respond(this.scsiFaults.response, 0, undefined, undefined);
    const targetUnits = [...this.units.keys()].filter((key) => key.startsWith(`${address.target}:`));
    if (targetUnits.length === 0) return respond(VIRTIO_SCSI_S.BAD_TARGET, 0, undefined, undefined);
    const toLose = this.scsiFaults.lose.get(op) ?? 0;
    if (toLose > 0) {
      this.scsiFaults.lose.set(op, toLose - 1);
      this.lost.push({ request, address, id });
      this.pendingResponder.set(request, respond);
      return PARK;
    }
    const busy = this.scsiFaults.busy.get(op) ?? 0;
    if (busy > 0) {
      this.scsiFaults.busy.set(op, busy - 1);
      return respond(VIRTIO_SCSI_S.OK, SCSI_STATUS.BUSY, undefined, undefined);
    }
    const status = this.scsiFaults.status.get(op);
    if (status !== undefined) return respond(VIRTIO_SCSI_S.OK, status, undefined, undefined);
    if (this.scsiFaults.fullSense.has(op)) {
      const sense = new Uint8Array(this.senseSize);
      sense.set(senseData(SENSE_KEY.MEDIUM_ERROR, ASC.UNRECOVERED_READ_ERROR));
      return respond(VIRTIO_SCSI_S.OK, SCSI_STATUS.CHECK_CONDITION, sense, undefined);
    }
    if (this.scsiFaults.badSense.has(op)) return respond(VIRTIO_SCSI_S.OK, SCSI_STATUS.CHECK_CONDITION, new Uint8Array(18), undefined);
    if (op === OPCODE.REPORT_LUNS) {
      const luns = targetUnits.map((key) => Number(key.split(":")[1])).sort((a, b) => a - b);
      return respond(VIRTIO_SCSI_S.OK, SCSI_STATUS.GOOD, undefined, reportLunsData(luns));
    }
    const unit = this.unit(address.target, address.lun);
    if (unit === undefined) {
      // SPC-4 6.6.2: INQUIRY of a LUN the target does not have answers peripheral qualifier 3.
      if (op === OPCODE.INQUIRY) return respond(VIRTIO_SCSI_S.OK, SCSI_STATUS.GOOD, undefined, new Uint8Array([0x7f, 0, 6, 2, 31, ...new Uint8Array(31)]));
      return respond(VIRTIO_SCSI_S.OK, SCSI_STATUS.CHECK_CONDITION, senseData(SENSE_KEY.ILLEGAL_REQUEST, ASC.LUN_NOT_SUPPORTED), undefined);
    }
    const result = unit.execute(cdb, dataOut);
    const residual = result.status === SCSI_STATUS.GOOD ? this.scsiFaults.residual.get(op) : undefined;
    return respond(VIRTIO_SCSI_S.OK, result.status, result.sense, result.dataIn, residual);
  }

  private readonly pendingResponder = new Map<SimRequest, (response: number, status: number, sense: undefined, dataIn: undefined) => number>();

  /** Completes held commands that `match` with the virtio-scsi `response`; returns how many. */
  private finishLost(match: (entry: { address: Address; id: bigint }) => boolean, response: number): number {
    let count = 0;
    for (let i = this.lost.length - 1; i >= 0; i--) {
      const entry = this.lost[i];
      if (!match(entry)) continue;
      this.lost.splice(i, 1);
      const respond = this.pendingResponder.get(entry.request);
      this.pendingResponder.delete(entry.request);
      const queue = this.queue(entry.request.queue);
      const parked = queue?.parked.indexOf(entry.request) ?? -1;
      if (parked >= 0) queue?.parked.splice(parked, 1);
      if (respond !== undefined) this.complete(entry.request, respond(response, 0, undefined, undefined));
      count++;
    }
    return count;
  }

  private control(request: SimRequest): RequestResult {
    const readable = request.read();
    if (readable.length < 4) {
      this.report(`control request of ${readable.length} bytes`);
      return 0;
    }
    const view = new DataView(readable.buffer, readable.byteOffset, readable.length);
    const type = view.getUint32(virtio_scsi_ctrl_tmf.type.offset, true);
    if (type !== VIRTIO_SCSI_T.TMF) {
      request.write(new Uint8Array([VIRTIO_SCSI_S.FUNCTION_REJECTED]));
      return 1;
    }
    if (readable.length < TMF_BYTES || request.writableLength < 1) {
      this.report(`task management request of ${readable.length}/${request.writableLength} bytes`);
      return 0;
    }
    const subtype = view.getUint32(virtio_scsi_ctrl_tmf.subtype.offset, true);
    this.tmfs.push(subtype);
    if (this.scsiFaults.loseTmf) return PARK;
    const address = this.address(readable, virtio_scsi_ctrl_tmf.lun.offset);
    const answer = (response: number) => request.write(new Uint8Array([response]));
    if (address === undefined) return answer(VIRTIO_SCSI_S.BAD_TARGET);
    const id = view.getBigUint64(virtio_scsi_ctrl_tmf.id.offset, true);
    const sameUnit = (entry: { address: Address }) => entry.address.target === address.target && entry.address.lun === address.lun;
    switch (subtype) {
      case VIRTIO_SCSI_T_TMF.ABORT_TASK:
        if (!this.scsiFaults.ignoreAbort) this.finishLost((entry) => sameUnit(entry) && entry.id === id, VIRTIO_SCSI_S.ABORTED);
        return answer(VIRTIO_SCSI_S.FUNCTION_SUCCEEDED);
      case VIRTIO_SCSI_T_TMF.LOGICAL_UNIT_RESET:
        this.finishLost(sameUnit, VIRTIO_SCSI_S.RESET);
        this.unit(address.target, address.lun)?.unitAttentions.push(ASC.POWER_ON_RESET);
        return answer(VIRTIO_SCSI_S.FUNCTION_SUCCEEDED);
      default:
        return answer(VIRTIO_SCSI_S.FUNCTION_REJECTED);
    }
  }
}
