import { DeviceType, FeatureBit, feature, hasFeature } from "../../../drivers/virtio/constants";
import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { PARK, VirtioDeviceModel } from "./device-model";
import type { RequestResult } from "./device-model";
import type { SimRequest } from "./request";

export const NetFeature = { Mtu: 3, Mac: 5, MrgRxbuf: 15, Status: 16, CtrlVq: 17, CtrlRx: 18 } as const;
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
} as const;
export const NET_CTRL_OK = 0;
export const NET_CTRL_ERR = 1;
export const NetQueue = { Rx: 0, Tx: 1, Ctrl: 2 } as const;
const HEADER_MODERN = 12;
const HEADER_LEGACY = 10;
const NUM_BUFFERS = 10;

export interface NetOptions {
  readonly mac?: readonly number[];
  readonly mtu?: number;
  readonly queueSize?: number;
  readonly linkUp?: boolean;
}

/** virtio-net with one queue pair and a control queue; frames in and out through the test. */
export class NetModel extends VirtioDeviceModel {
  readonly deviceType = DeviceType.Net;
  /** Frames the driver sent, without the virtio-net header. */
  readonly transmitted: Uint8Array[] = [];
  rxDropped = 0;
  promiscuous = false;
  allMulticast = false;

  constructor(memory: SimMemory, violations: ViolationLog, options: NetOptions = {}) {
    const features = [NetFeature.Mtu, NetFeature.Mac, NetFeature.Status, NetFeature.CtrlVq, NetFeature.CtrlRx, NetFeature.MrgRxbuf]
      .map(feature)
      .reduce((a, b) => a | b);
    const size = options.queueSize ?? 256;
    super({ memory, violations, queueSizes: [size, size, 64], features, configSize: NetConfig.Size });
    const view = new DataView(this.config.buffer);
    (options.mac ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]).forEach((b, i) => view.setUint8(NetConfig.Mac + i, b));
    view.setUint16(NetConfig.Status, options.linkUp === false ? 0 : NET_STATUS_LINK_UP, true);
    view.setUint16(NetConfig.MaxVirtqueuePairs, 1, true);
    view.setUint16(NetConfig.Mtu, options.mtu ?? 1500, true);
  }

  get mac(): number[] {
    return Array.from(this.config.subarray(NetConfig.Mac, NetConfig.Mac + 6));
  }

  get headerSize(): number {
    const modern = hasFeature(this.driverFeatures, FeatureBit.Version1) || hasFeature(this.driverFeatures, NetFeature.MrgRxbuf);
    return modern ? HEADER_MODERN : HEADER_LEGACY;
  }

  setLinkUp(up: boolean): void {
    this.changeConfig((view) => {
      const status = view.getUint16(NetConfig.Status, true);
      view.setUint16(NetConfig.Status, up ? status | NET_STATUS_LINK_UP : status & ~NET_STATUS_LINK_UP, true);
    });
  }

  /** Delivers a frame into the next posted rx buffer; false (and counted) if none fits. */
  injectFrame(frame: Uint8Array): boolean {
    const rx = this.queues[NetQueue.Rx];
    const request = rx.parked.shift();
    const header = this.headerSize;
    if (request === undefined || request.writableLength < header + frame.length) {
      if (request !== undefined) rx.parked.unshift(request);
      this.rxDropped++;
      return false;
    }
    const bytes = new Uint8Array(header + frame.length);
    if (header === HEADER_MODERN) new DataView(bytes.buffer).setUint16(NUM_BUFFERS, 1, true);
    bytes.set(frame, header);
    this.complete(request, request.write(bytes));
    return true;
  }

  protected override onReset(): void {
    this.promiscuous = false;
    this.allMulticast = false;
  }

  protected override writeDeviceConfig(offset: number, width: number, value: number): boolean {
    // Legacy drivers without CTRL_MAC_ADDR may write the MAC directly.
    if (this.mode !== "legacy" || offset + width > NetConfig.Mac + 6) return false;
    for (let i = 0; i < width; i++) this.config[offset + i] = (value >>> (8 * i)) & 0xff;
    return true;
  }

  protected handleRequest(request: SimRequest): RequestResult {
    switch (request.queue) {
      case NetQueue.Rx:
        if (request.readableLength > 0) this.report("rx buffer with device-readable part");
        return PARK;
      case NetQueue.Tx: {
        const bytes = request.read();
        if (bytes.length < this.headerSize) this.report(`tx chain of ${bytes.length} bytes has no header`);
        else this.transmitted.push(bytes.slice(this.headerSize));
        return 0;
      }
      default:
        return this.control(request);
    }
  }

  private control(request: SimRequest): number {
    const command = request.read();
    if (command.length < 2 || request.writableLength !== 1) {
      this.report(`control command of ${command.length} bytes with ${request.writableLength} writable`);
      return 0;
    }
    const ok = this.runControl(command[0], command[1], command.subarray(2));
    return request.write(new Uint8Array([ok ? NET_CTRL_OK : NET_CTRL_ERR]));
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
    return false;
  }
}
