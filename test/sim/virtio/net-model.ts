import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { PARK, VirtioDeviceModel } from "./device-model";
import type { RequestResult } from "./device-model";
import type { Segment, SimRequest } from "./request";
import { MAX_IPV4_PACKET, TCP_CHECKSUM, coalesceTcp, holdsPseudoHeaderSum, segmentTcp, tcpFrameLayout } from "./tcp-offload";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";
import { VIRTIO_F, VIRTIO_F_LEGACY, featureMask } from "./spec/feature-bits";
import {
  VIRTIO_NET_CONTROLQ_SINGLE_PAIR,
  VIRTIO_NET_CTRL,
  VIRTIO_NET_CTRL_DATA_OFFSET,
  VIRTIO_NET_ERR,
  VIRTIO_NET_F,
  VIRTIO_NET_F_REQUIRES,
  VIRTIO_NET_HDR_F,
  VIRTIO_NET_HDR_GSO,
  VIRTIO_NET_HDR_SIZE,
  VIRTIO_NET_HDR_SIZE_LEGACY,
  VIRTIO_NET_MAC_LENGTH,
  VIRTIO_NET_OK,
  VIRTIO_NET_QUEUE,
  VIRTIO_NET_S,
  virtio_net_config,
  virtio_net_ctrl,
  virtio_net_hdr,
} from "./spec/net";

/** The tests' names for the specification's values (spec/net.ts). */
export const NetFeature = {
  Csum: VIRTIO_NET_F.CSUM,
  GuestCsum: VIRTIO_NET_F.GUEST_CSUM,
  Mtu: VIRTIO_NET_F.MTU,
  Mac: VIRTIO_NET_F.MAC,
  GuestTso4: VIRTIO_NET_F.GUEST_TSO4,
  GuestTso6: VIRTIO_NET_F.GUEST_TSO6,
  GuestEcn: VIRTIO_NET_F.GUEST_ECN,
  GuestUfo: VIRTIO_NET_F.GUEST_UFO,
  HostTso4: VIRTIO_NET_F.HOST_TSO4,
  HostTso6: VIRTIO_NET_F.HOST_TSO6,
  HostEcn: VIRTIO_NET_F.HOST_ECN,
  HostUfo: VIRTIO_NET_F.HOST_UFO,
  MrgRxbuf: VIRTIO_NET_F.MRG_RXBUF,
  Status: VIRTIO_NET_F.STATUS,
  CtrlVq: VIRTIO_NET_F.CTRL_VQ,
  CtrlRx: VIRTIO_NET_F.CTRL_RX,
  Mq: VIRTIO_NET_F.MQ,
  CtrlMacAddr: VIRTIO_NET_F.CTRL_MAC_ADDR,
} as const;
/** Offsets in virtio_net_config; the device has the fields up to mtu. */
export const NetConfig = {
  Mac: virtio_net_config.mac.offset,
  Status: virtio_net_config.status.offset,
  Size: virtio_net_config.speed.offset,
} as const;
export const NetCtrl = {
  ClassRx: VIRTIO_NET_CTRL.RX,
  RxPromisc: VIRTIO_NET_CTRL.RX_PROMISC,
  RxAllMulti: VIRTIO_NET_CTRL.RX_ALLMULTI,
  ClassMac: VIRTIO_NET_CTRL.MAC,
  MacTableSet: VIRTIO_NET_CTRL.MAC_TABLE_SET,
  MacAddrSet: VIRTIO_NET_CTRL.MAC_ADDR_SET,
  ClassAnnounce: VIRTIO_NET_CTRL.ANNOUNCE,
  AnnounceAck: VIRTIO_NET_CTRL.ANNOUNCE_ACK,
  ClassMq: VIRTIO_NET_CTRL.MQ,
  MqPairsSet: VIRTIO_NET_CTRL.MQ_VQ_PAIRS_SET,
} as const;
export const NET_CTRL_OK = VIRTIO_NET_OK;
export const NET_CTRL_ERR = VIRTIO_NET_ERR;
export const NetQueue = { Rx: VIRTIO_NET_QUEUE.receiveq1, Tx: VIRTIO_NET_QUEUE.transmitq1, Ctrl: VIRTIO_NET_CONTROLQ_SINGLE_PAIR } as const;
export const NetHeaderFlag = { NeedsCsum: VIRTIO_NET_HDR_F.NEEDS_CSUM, DataValid: VIRTIO_NET_HDR_F.DATA_VALID } as const;
export const NetGso = { None: VIRTIO_NET_HDR_GSO.NONE, TcpV4: VIRTIO_NET_HDR_GSO.TCPV4, Udp: VIRTIO_NET_HDR_GSO.UDP, TcpV6: VIRTIO_NET_HDR_GSO.TCPV6, Ecn: VIRTIO_NET_HDR_GSO.ECN } as const;
/** The host-side offload each gso_type needs negotiated before a driver may send it (section 5.1.6.2.1). */
const GSO_FEATURE: Readonly<Record<number, number>> = {
  [VIRTIO_NET_HDR_GSO.TCPV4]: VIRTIO_NET_F.HOST_TSO4,
  [VIRTIO_NET_HDR_GSO.TCPV6]: VIRTIO_NET_F.HOST_TSO6,
  [VIRTIO_NET_HDR_GSO.UDP]: VIRTIO_NET_F.HOST_UFO,
};
const DEFAULT_FEATURES = [VIRTIO_NET_F.MTU, VIRTIO_NET_F.MAC, VIRTIO_NET_F.STATUS, VIRTIO_NET_F.CTRL_VQ, VIRTIO_NET_F.CTRL_RX, VIRTIO_NET_F.MRG_RXBUF];

export interface NetOptions {
  readonly mac?: readonly number[];
  readonly mtu?: number;
  readonly queueSize?: number;
  /** The controlq's maximum size (default 64); on the legacy interface, its fixed size. */
  readonly controlQueueSize?: number;
  readonly linkUp?: boolean;
  /** Feature bits offered beyond the defaults (CSUM, GUEST_CSUM, MQ, CTRL_MAC_ADDR, ANY_LAYOUT...). */
  readonly offer?: readonly number[];
  /** Default feature bits not offered. */
  readonly withhold?: readonly number[];
  /** max_virtqueue_pairs; the device has 2 * pairs queues, and the control queue with CTRL_VQ. */
  readonly pairs?: number;
  readonly eventIdx?: boolean;
  readonly indirect?: boolean;
  /** Offer RING_PACKED / IN_ORDER (default false). */
  readonly packed?: boolean;
  readonly inOrder?: boolean;
}

export interface InjectOptions {
  /** virtio-net header flags (DATA_VALID, NEEDS_CSUM). */
  readonly flags?: number;
  readonly gsoType?: number;
  readonly gsoSize?: number;
  readonly hdrLen?: number;
  readonly csumStart?: number;
  readonly csumOffset?: number;
  /** Write this num_buffers instead of the count of buffers used. */
  readonly numBuffers?: number;
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
  readonly deviceType = VIRTIO_DEVICE_ID.network;
  /** Frames the driver sent, without the virtio-net header (checksums filled in for NEEDS_CSUM). */
  readonly transmitted: Uint8Array[] = [];
  /** The virtio-net header of each transmitted frame. */
  readonly transmittedHeaders: Uint8Array[] = [];
  readonly controlCommands: ControlCommand[] = [];
  /** Called for each frame put on the wire (wire the device to a peer): a segmented send gives several. */
  onTransmit: ((frame: Uint8Array) => void) | undefined;
  /** Transmitted frames the device segmented (gso_type TCPV4), and the segments they made. */
  segmentedSends = 0;
  segmentsOut = 0;
  /** Coalesced segments delivered with gso_type TCPV4, and the received segments they held. */
  coalescedReceives = 0;
  coalescedParts = 0;
  /** When set, every control command is answered with this ack byte. */
  controlAck: number | undefined;
  rxDropped = 0;
  promiscuous = false;
  allMulticast = false;
  pairsInUse = 1;
  private readonly pairs: number;

  constructor(memory: SimMemory, violations: ViolationLog, options: NetOptions = {}) {
    const withheld = new Set(options.withhold ?? []);
    const features = featureMask([...DEFAULT_FEATURES.filter((bit) => !withheld.has(bit)), ...(options.offer ?? [])]);
    const size = options.queueSize ?? 256;
    const pairs = options.pairs ?? 1;
    // The controlq exists only with CTRL_VQ (section 5.1.2).
    const queueSizes = [...Array.from({ length: 2 * pairs }, () => size), ...(features & featureMask([VIRTIO_NET_F.CTRL_VQ]) ? [options.controlQueueSize ?? 64] : [])];
    super({
      memory,
      violations,
      queueSizes,
      features,
      configLayout: virtio_net_config,
      configSize: NetConfig.Size,
      featureRequires: VIRTIO_NET_F_REQUIRES,
      eventIdx: options.eventIdx,
      indirect: options.indirect,
      packed: options.packed,
      inOrder: options.inOrder,
    });
    this.pairs = pairs;
    const view = new DataView(this.config.buffer);
    const c = virtio_net_config;
    (options.mac ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]).forEach((b, i) => view.setUint8(c.mac.offset + i, b));
    view.setUint16(c.status.offset, options.linkUp === false ? 0 : VIRTIO_NET_S.LINK_UP, true);
    view.setUint16(c.max_virtqueue_pairs.offset, pairs, true);
    view.setUint16(c.mtu.offset, options.mtu ?? 1500, true);
  }

  get mac(): number[] {
    return Array.from(this.config.subarray(virtio_net_config.mac.offset, virtio_net_config.mac.offset + VIRTIO_NET_MAC_LENGTH));
  }

  /** The header has num_buffers with VERSION_1 or MRG_RXBUF (section 5.1.6). */
  get headerSize(): number {
    const full = this.negotiated(VIRTIO_F.VERSION_1) || this.negotiated(VIRTIO_NET_F.MRG_RXBUF);
    return full ? VIRTIO_NET_HDR_SIZE : VIRTIO_NET_HDR_SIZE_LEGACY;
  }

  /** controlq is 2 max_virtqueue_pairs with MQ, 2 otherwise (section 5.1.2). */
  get controlQueue(): number {
    return this.negotiated(VIRTIO_NET_F.MQ) ? 2 * this.pairs : VIRTIO_NET_CONTROLQ_SINGLE_PAIR;
  }

  /** Receive buffers the driver has posted and the device still holds. */
  get postedRxBuffers(): number {
    return this.queue(NetQueue.Rx)?.parked.length ?? 0;
  }

  setLinkUp(up: boolean): void {
    const at = virtio_net_config.status.offset;
    this.changeConfig((view) => {
      const status = view.getUint16(at, true);
      view.setUint16(at, up ? status | VIRTIO_NET_S.LINK_UP : status & ~VIRTIO_NET_S.LINK_UP, true);
    });
  }

  /**
   * Delivers a frame into posted rx buffers: one buffer, or with MRG_RXBUF as many as it takes.
   * False (and counted) if the buffers cannot hold it.
   */
  injectFrame(frame: Uint8Array, options: InjectOptions = {}): boolean {
    const parked = this.queue(NetQueue.Rx)?.parked ?? [];
    const header = this.headerSize;
    const bytes = new Uint8Array(header + frame.length);
    const view = new DataView(bytes.buffer);
    bytes[virtio_net_hdr.flags.offset] = options.flags ?? 0;
    bytes[virtio_net_hdr.gso_type.offset] = options.gsoType ?? 0;
    view.setUint16(virtio_net_hdr.hdr_len.offset, options.hdrLen ?? 0, true);
    view.setUint16(virtio_net_hdr.gso_size.offset, options.gsoSize ?? 0, true);
    view.setUint16(virtio_net_hdr.csum_start.offset, options.csumStart ?? 0, true);
    view.setUint16(virtio_net_hdr.csum_offset.offset, options.csumOffset ?? 0, true);
    bytes.set(frame, header);
    const mergeable = this.negotiated(VIRTIO_NET_F.MRG_RXBUF);
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
    if (header === VIRTIO_NET_HDR_SIZE) view.setUint16(virtio_net_hdr.num_buffers.offset, options.numBuffers ?? chunks.length, true);
    parked.splice(0, chunks.length);
    at = 0;
    for (const [request, take] of chunks) {
      this.complete(request, request.write(bytes.subarray(at, at + take)));
      at += take;
    }
    return true;
  }

  /**
   * Frames from the wire, as a host with receive coalescing hands them over: with GUEST_TSO4
   * negotiated, runs of in-order segments of one TCP flow become one segment with gso_type TCPV4
   * (NEEDS_CSUM, the pseudo-header sum in the checksum field, gso_size the parts' MSS); the rest,
   * and everything without GUEST_TSO4, arrives as it came. Returns the frames that did not fit.
   */
  receiveFromWire(frames: readonly Uint8Array[]): number {
    let dropped = 0;
    if (!this.negotiated(VIRTIO_NET_F.GUEST_TSO4)) {
      for (const frame of frames) if (!this.injectFrame(frame)) dropped++;
      return dropped;
    }
    for (const { frame, mss, parts } of coalesceTcp(frames)) {
      const layout = mss > 0 ? tcpFrameLayout(frame) : undefined;
      const delivered =
        layout === undefined
          ? this.injectFrame(frame)
          : this.injectFrame(frame, {
              flags: VIRTIO_NET_HDR_F.NEEDS_CSUM,
              gsoType: VIRTIO_NET_HDR_GSO.TCPV4,
              gsoSize: mss,
              hdrLen: layout.payload,
              csumStart: layout.tcp,
              csumOffset: TCP_CHECKSUM,
            });
      if (!delivered) dropped++;
      else if (layout !== undefined) {
        this.coalescedReceives++;
        this.coalescedParts += parts;
      }
    }
    return dropped;
  }

  /** Writes `bytes` (header included) into the next posted rx buffer and reports `usedLength`. */
  injectRaw(bytes: Uint8Array, usedLength = bytes.length): boolean {
    const request = this.queue(NetQueue.Rx)?.parked.shift();
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
    if (this.mode !== "legacy" || offset + width > virtio_net_config.mac.offset + VIRTIO_NET_MAC_LENGTH) return false;
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
      this.checkFraming(request, request.writable);
      return PARK;
    }
    this.checkFraming(request, request.readable);
    const bytes = request.read();
    if (bytes.length < this.headerSize) {
      this.report(`tx chain of ${bytes.length} bytes has no header`);
      return 0;
    }
    const headerBytes = bytes.slice(0, this.headerSize);
    const frame = bytes.slice(this.headerSize);
    this.transmittedHeaders.push(headerBytes);
    this.transmitted.push(frame);
    if (headerBytes[virtio_net_hdr.gso_type.offset] !== VIRTIO_NET_HDR_GSO.NONE) {
      for (const segment of this.segment(headerBytes, frame)) {
        this.segmentsOut++;
        this.onTransmit?.(segment);
      }
      return 0;
    }
    if (headerBytes[virtio_net_hdr.flags.offset] & VIRTIO_NET_HDR_F.NEEDS_CSUM) this.fillChecksum(headerBytes, frame);
    this.onTransmit?.(frame);
    return 0;
  }

  /**
   * Legacy interface without ANY_LAYOUT (section 5.1.6, legacy message framing): the header has a
   * descriptor of its own on both queues, the frame follows in the next ones.
   */
  private checkFraming(request: SimRequest, segments: readonly Segment[]): void {
    if (this.mode !== "legacy" || this.negotiated(VIRTIO_F_LEGACY.ANY_LAYOUT)) return;
    if (segments.length < 2 || segments[0].bytes.length !== this.headerSize) {
      this.report(`queue ${request.queue}: without ANY_LAYOUT the ${this.headerSize}-byte header needs a descriptor of its own (first of ${segments.length} is ${segments[0]?.bytes.length ?? 0} bytes)`);
    }
  }

  /**
   * A transmitted frame with gso_type set, checked against the driver requirements of section
   * 5.1.6.2.1, cut into segments as the host would; nothing goes on the wire for a bad one.
   */
  private segment(header: Uint8Array, frame: Uint8Array): Uint8Array[] {
    const view = new DataView(header.buffer);
    const gsoType = header[virtio_net_hdr.gso_type.offset];
    const base = gsoType & ~VIRTIO_NET_HDR_GSO.ECN;
    const feature = GSO_FEATURE[base];
    if (feature === undefined || !this.negotiated(feature)) return this.refuse(`gso_type ${gsoType} without the offload negotiated`);
    if ((gsoType & VIRTIO_NET_HDR_GSO.ECN) !== 0 && !this.negotiated(VIRTIO_NET_F.HOST_ECN)) return this.refuse("gso_type has the ECN bit without HOST_ECN");
    if ((header[virtio_net_hdr.flags.offset] & VIRTIO_NET_HDR_F.NEEDS_CSUM) === 0) return this.refuse("gso_type set without NEEDS_CSUM");
    const gsoSize = view.getUint16(virtio_net_hdr.gso_size.offset, true);
    if (gsoSize === 0) return this.refuse("gso_type set with gso_size 0");
    if (base !== VIRTIO_NET_HDR_GSO.TCPV4) return this.refuse(`gso_type ${gsoType}: only TCPV4 is modelled`);
    const layout = tcpFrameLayout(frame);
    if (layout === undefined) return this.refuse("gso_type TCPV4 on a frame that is not unfragmented TCP over IPv4");
    if (layout.end - layout.ip > MAX_IPV4_PACKET || layout.end !== frame.length) return this.refuse(`segmented frame of ${frame.length} bytes is not one IPv4 packet of at most 64 KiB`);
    const csumStart = view.getUint16(virtio_net_hdr.csum_start.offset, true);
    const csumOffset = view.getUint16(virtio_net_hdr.csum_offset.offset, true);
    if (csumStart !== layout.tcp || csumOffset !== TCP_CHECKSUM) return this.refuse(`csum_start ${csumStart}/csum_offset ${csumOffset} do not point at the TCP checksum`);
    // A SHOULD without GUEST_HDRLEN, but a device segments by it: less than the headers is taken as wrong.
    const hdrLen = view.getUint16(virtio_net_hdr.hdr_len.offset, true);
    if (hdrLen < layout.payload) return this.refuse(`hdr_len ${hdrLen} is less than the ${layout.payload} bytes of headers`);
    // The checksum field must hold the pseudo-header sum (for the whole TCP length) and nothing else.
    if (!holdsPseudoHeaderSum(frame, layout)) return this.refuse("TCP checksum field does not hold the pseudo-header sum");
    this.segmentedSends++;
    return segmentTcp(frame, layout, gsoSize);
  }

  private refuse(message: string): Uint8Array[] {
    this.report(message);
    return [];
  }

  /** What a device does for NEEDS_CSUM: sums frame[csum_start..] and stores it at csum_offset. */
  private fillChecksum(header: Uint8Array, frame: Uint8Array): void {
    const view = new DataView(header.buffer);
    const start = view.getUint16(virtio_net_hdr.csum_start.offset, true);
    const field = start + view.getUint16(virtio_net_hdr.csum_offset.offset, true);
    if (!this.negotiated(VIRTIO_NET_F.CSUM)) return this.report("NEEDS_CSUM without CSUM negotiated");
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
    if (command.length < VIRTIO_NET_CTRL_DATA_OFFSET || request.writableLength !== 1) {
      this.report(`control command of ${command.length} bytes with ${request.writableLength} writable`);
      return 0;
    }
    const cls = command[virtio_net_ctrl.class.offset];
    const cmd = command[virtio_net_ctrl.command.offset];
    const data = command.subarray(VIRTIO_NET_CTRL_DATA_OFFSET);
    this.controlCommands.push({ cls, cmd, data: Array.from(data) });
    const ok = this.runControl(cls, cmd, data);
    return request.write(new Uint8Array([this.controlAck ?? (ok ? VIRTIO_NET_OK : VIRTIO_NET_ERR)]));
  }

  private runControl(cls: number, cmd: number, data: Uint8Array): boolean {
    const ctrl = VIRTIO_NET_CTRL;
    if (cls === ctrl.RX && data.length === 1 && this.negotiated(VIRTIO_NET_F.CTRL_RX)) {
      if (cmd === ctrl.RX_PROMISC) this.promiscuous = data[0] !== 0;
      else if (cmd === ctrl.RX_ALLMULTI) this.allMulticast = data[0] !== 0;
      else return false;
      return true;
    }
    if (cls === ctrl.MAC && cmd === ctrl.MAC_ADDR_SET && data.length === VIRTIO_NET_MAC_LENGTH) {
      this.changeConfig((view) => data.forEach((b, i) => view.setUint8(virtio_net_config.mac.offset + i, b)));
      return true;
    }
    if (cls === ctrl.MAC && cmd === ctrl.MAC_TABLE_SET) return true;
    if (cls === ctrl.ANNOUNCE && cmd === ctrl.ANNOUNCE_ACK) {
      const at = virtio_net_config.status.offset;
      this.changeConfig((view) => view.setUint16(at, view.getUint16(at, true) & ~VIRTIO_NET_S.ANNOUNCE, true));
      return true;
    }
    if (cls === ctrl.MQ && cmd === ctrl.MQ_VQ_PAIRS_SET && data.length === 2 && this.negotiated(VIRTIO_NET_F.MQ)) {
      const pairs = data[0] | (data[1] << 8);
      if (pairs < 1 || pairs > this.pairs) return false;
      this.pairsInUse = pairs;
      return true;
    }
    return false;
  }
}
