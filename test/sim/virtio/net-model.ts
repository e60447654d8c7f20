import { DeviceType } from "../../../drivers/virtio/device-types";
import { FeatureBit, feature, hasFeature } from "../../../drivers/virtio/features";
import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { PARK, VirtioDeviceModel } from "./device-model";
import type { RequestResult } from "./device-model";
import type { SimRequest } from "./request";

export const NetFeature = { Csum: 0, GuestCsum: 1, Mtu: 3, Mac: 5, MrgRxbuf: 15, Status: 16, CtrlVq: 17, CtrlRx: 18, Mq: 22, CtrlMacAddr: 23 } as const;
export const NetConfig = { Mac: 0, Status: 6, MaxVirtqueuePairs: 8, Mtu: 10, Size: 12 } as const;
export const NET_STATUS_LINK_UP = 1;
export const NET_STATUS_ANNOUNCE = 2;
export const NetCtrl = {
  ClassRx: 0,
  RxPromisc: 0,
  RxAllMulti: 1,
  ClassMac: 1,
  MacTableSet: 0,
  MacAddrSet: 1,
  ClassAnnounce: 3,
  AnnounceAck: 0,
  ClassMq: 4,
  MqPairsSet: 0,
} as const;
export const NET_CTRL_OK = 0;
export const NET_CTRL_ERR = 1;
export const NetQueue = { Rx: 0, Tx: 1, Ctrl: 2 } as const;
export const NetHeaderFlag = { NeedsCsum: 1, DataValid: 2 } as const;
const HEADER_MODERN = 12;
const HEADER_LEGACY = 10;
const HDR_FLAGS = 0;
const HDR_GSO_TYPE = 1;
const HDR_CSUM_START = 6;
const HDR_CSUM_OFFSET = 8;
const NUM_BUFFERS = 10;
const DEFAULT_FEATURES = [NetFeature.Mtu, NetFeature.Mac, NetFeature.Status, NetFeature.CtrlVq, NetFeature.CtrlRx, NetFeature.MrgRxbuf];

export interface NetOptions {
  readonly mac?: readonly number[];
  readonly mtu?: number;
  readonly queueSize?: number;
  readonly linkUp?: boolean;
  /** Feature bits offered beyond the defaults (CSUM, GUEST_CSUM, MQ, CTRL_MAC_ADDR, ANY_LAYOUT...). */
  readonly offer?: readonly number[];
  /** Default feature bits not offered. */
  readonly withhold?: readonly number[];
  /** max_virtqueue_pairs; the device has 2 * pairs + 1 queues. */
  readonly pairs?: number;
  readonly eventIdx?: boolean;
  readonly indirect?: boolean;
}

export interface InjectOptions {
  /** virtio-net header flags (DATA_VALID, NEEDS_CSUM). */
  readonly flags?: number;
  readonly gsoType?: number;
  /** With MRG_RXBUF: fill at most this many bytes of each buffer, spreading the frame further. */
  readonly maxBufferBytes?: number;
}

export interface ControlCommand {
  readonly cls: number;
  readonly cmd: number;
  readonly data: number[];
}

/** virtio-net with `pairs` queue pairs and a control queue; frames in and out through the test. */
export class NetModel extends VirtioDeviceModel {
  readonly deviceType = DeviceType.Net;
  /** Frames the driver sent, without the virtio-net header (checksums filled in for NEEDS_CSUM). */
  readonly transmitted: Uint8Array[] = [];
  /** The virtio-net header of each transmitted frame. */
  readonly transmittedHeaders: Uint8Array[] = [];
  readonly controlCommands: ControlCommand[] = [];
  /** Called for each transmitted frame (wire the device to a peer). */
  onTransmit: ((frame: Uint8Array) => void) | undefined;
  /** When set, every control command is answered with this ack byte. */
  controlAck: number | undefined;
  rxDropped = 0;
  promiscuous = false;
  allMulticast = false;
  pairsInUse = 1;
  private readonly pairs: number;

  constructor(memory: SimMemory, violations: ViolationLog, options: NetOptions = {}) {
    const withheld = new Set(options.withhold ?? []);
    const features = [...DEFAULT_FEATURES.filter((bit) => !withheld.has(bit)), ...(options.offer ?? [])].map(feature).reduce((a, b) => a | b, 0n);
    const size = options.queueSize ?? 256;
    const pairs = options.pairs ?? 1;
    const queueSizes = [...Array.from({ length: 2 * pairs }, () => size), 64];
    super({ memory, violations, queueSizes, features, configSize: NetConfig.Size, eventIdx: options.eventIdx, indirect: options.indirect });
    this.pairs = pairs;
    const view = new DataView(this.config.buffer);
    (options.mac ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]).forEach((b, i) => view.setUint8(NetConfig.Mac + i, b));
    view.setUint16(NetConfig.Status, options.linkUp === false ? 0 : NET_STATUS_LINK_UP, true);
    view.setUint16(NetConfig.MaxVirtqueuePairs, pairs, true);
    view.setUint16(NetConfig.Mtu, options.mtu ?? 1500, true);
  }

  get mac(): number[] {
    return Array.from(this.config.subarray(NetConfig.Mac, NetConfig.Mac + 6));
  }

  get headerSize(): number {
    const modern = hasFeature(this.driverFeatures, FeatureBit.Version1) || hasFeature(this.driverFeatures, NetFeature.MrgRxbuf);
    return modern ? HEADER_MODERN : HEADER_LEGACY;
  }

  get controlQueue(): number {
    return hasFeature(this.driverFeatures, NetFeature.Mq) ? 2 * this.pairs : NetQueue.Ctrl;
  }

  /** Receive buffers the driver has posted and the device still holds. */
  get postedRxBuffers(): number {
    return this.queues[NetQueue.Rx].parked.length;
  }

  setLinkUp(up: boolean): void {
    this.changeConfig((view) => {
      const status = view.getUint16(NetConfig.Status, true);
      view.setUint16(NetConfig.Status, up ? status | NET_STATUS_LINK_UP : status & ~NET_STATUS_LINK_UP, true);
    });
  }

  /**
   * Delivers a frame into posted rx buffers: one buffer, or with MRG_RXBUF as many as it takes.
   * False (and counted) if the buffers cannot hold it.
   */
  injectFrame(frame: Uint8Array, options: InjectOptions = {}): boolean {
    const parked = this.queues[NetQueue.Rx].parked;
    const header = this.headerSize;
    const bytes = new Uint8Array(header + frame.length);
    bytes[HDR_FLAGS] = options.flags ?? 0;
    bytes[HDR_GSO_TYPE] = options.gsoType ?? 0;
    bytes.set(frame, header);
    const mergeable = hasFeature(this.driverFeatures, NetFeature.MrgRxbuf);
    const limit = options.maxBufferBytes ?? Number.POSITIVE_INFINITY;
    const chunks: [SimRequest, number][] = [];
    let at = 0;
    for (let i = 0; i < parked.length && at < bytes.length; i++) {
      const take = Math.min(parked[i].writableLength, limit, bytes.length - at);
      chunks.push([parked[i], take]);
      at += take;
      if (!mergeable) break;
    }
    if (at < bytes.length) {
      this.rxDropped++;
      return false;
    }
    if (header === HEADER_MODERN) new DataView(bytes.buffer).setUint16(NUM_BUFFERS, chunks.length, true);
    parked.splice(0, chunks.length);
    at = 0;
    for (const [request, take] of chunks) {
      this.complete(request, request.write(bytes.subarray(at, at + take)));
      at += take;
    }
    return true;
  }

  /** Writes `bytes` (header included) into the next posted rx buffer and reports `usedLength`. */
  injectRaw(bytes: Uint8Array, usedLength = bytes.length): boolean {
    const request = this.queues[NetQueue.Rx].parked.shift();
    if (request === undefined) return false;
    request.write(bytes);
    this.complete(request, usedLength);
    return true;
  }

  protected override onReset(): void {
    this.promiscuous = false;
    this.allMulticast = false;
    this.pairsInUse = 1;
  }

  protected override writeDeviceConfig(offset: number, width: number, value: number): boolean {
    // Legacy drivers without CTRL_MAC_ADDR may write the MAC directly.
    if (this.mode !== "legacy" || offset + width > NetConfig.Mac + 6) return false;
    for (let i = 0; i < width; i++) this.config[offset + i] = (value >>> (8 * i)) & 0xff;
    return true;
  }

  protected handleRequest(request: SimRequest): RequestResult {
    if (request.queue === this.controlQueue) return this.control(request);
    if (request.queue !== NetQueue.Rx && request.queue !== NetQueue.Tx) {
      this.report(`request on queue ${request.queue} beyond the pair in use`);
      return 0;
    }
    if (request.queue === NetQueue.Rx) {
      if (request.readableLength > 0) this.report("rx buffer with device-readable part");
      return PARK;
    }
    const bytes = request.read();
    if (bytes.length < this.headerSize) {
      this.report(`tx chain of ${bytes.length} bytes has no header`);
      return 0;
    }
    const headerBytes = bytes.slice(0, this.headerSize);
    const frame = bytes.slice(this.headerSize);
    if (headerBytes[HDR_FLAGS] & NetHeaderFlag.NeedsCsum) this.fillChecksum(headerBytes, frame);
    this.transmittedHeaders.push(headerBytes);
    this.transmitted.push(frame);
    this.onTransmit?.(frame);
    return 0;
  }

  /** What a device does for NEEDS_CSUM: sums frame[csum_start..] and stores it at csum_offset. */
  private fillChecksum(header: Uint8Array, frame: Uint8Array): void {
    const view = new DataView(header.buffer);
    const start = view.getUint16(HDR_CSUM_START, true);
    const field = start + view.getUint16(HDR_CSUM_OFFSET, true);
    if (!hasFeature(this.driverFeatures, NetFeature.Csum)) return this.report("NEEDS_CSUM without CSUM negotiated");
    if (field + 2 > frame.length) return this.report(`csum_start ${start} + offset points beyond the ${frame.length}-byte frame`);
    let sum = 0;
    for (let i = start; i < frame.length; i += 2) sum += (frame[i] << 8) | (frame[i + 1] ?? 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const checksum = ~sum & 0xffff;
    frame[field] = checksum >>> 8;
    frame[field + 1] = checksum & 0xff;
  }

  private control(request: SimRequest): number {
    const command = request.read();
    if (command.length < 2 || request.writableLength !== 1) {
      this.report(`control command of ${command.length} bytes with ${request.writableLength} writable`);
      return 0;
    }
    this.controlCommands.push({ cls: command[0], cmd: command[1], data: Array.from(command.subarray(2)) });
    const ok = this.runControl(command[0], command[1], command.subarray(2));
    return request.write(new Uint8Array([this.controlAck ?? (ok ? NET_CTRL_OK : NET_CTRL_ERR)]));
  }

  private runControl(cls: number, cmd: number, data: Uint8Array): boolean {
    if (cls === NetCtrl.ClassRx && data.length === 1 && hasFeature(this.driverFeatures, NetFeature.CtrlRx)) {
      if (cmd === NetCtrl.RxPromisc) this.promiscuous = data[0] !== 0;
      else if (cmd === NetCtrl.RxAllMulti) this.allMulticast = data[0] !== 0;
      else return false;
      return true;
    }
    if (cls === NetCtrl.ClassMac && cmd === NetCtrl.MacAddrSet && data.length === 6) {
      this.changeConfig((view) => data.forEach((b, i) => view.setUint8(NetConfig.Mac + i, b)));
      return true;
    }
    if (cls === NetCtrl.ClassMac && cmd === NetCtrl.MacTableSet) return true;
    if (cls === NetCtrl.ClassAnnounce && cmd === NetCtrl.AnnounceAck) {
      this.changeConfig((view) => view.setUint16(NetConfig.Status, view.getUint16(NetConfig.Status, true) & ~NET_STATUS_ANNOUNCE, true));
      return true;
    }
    if (cls === NetCtrl.ClassMq && cmd === NetCtrl.MqPairsSet && data.length === 2 && hasFeature(this.driverFeatures, NetFeature.Mq)) {
      const pairs = data[0] | (data[1] << 8);
      if (pairs < 1 || pairs > this.pairs) return false;
      this.pairsInUse = pairs;
      return true;
    }
    return false;
  }
}
