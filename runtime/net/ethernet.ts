import { BROADCAST_MAC, MAC_LENGTH } from "./address";
import { bytesEqual, read16, write16 } from "./bytes";
import type { NetCounters } from "./counters";
import type { ChecksumOffload, NetLink, RxInfo } from "../../drivers/net-link";

export const ETHERNET_HEADER_LENGTH = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

const DESTINATION_OFFSET = 0;
const SOURCE_OFFSET = 6;
const ETHERTYPE_OFFSET = 12;
const GROUP_BIT = 0x01;

/** "queued": held until ARP resolves; "busy": transmit ring full, try again later. */
export type SendStatus = "sent" | "queued" | "busy" | "dropped";

/** Receives the payload of an accepted frame: frame[offset, offset + length). */
export type PayloadHandler = (frame: Uint8Array, offset: number, length: number, info: RxInfo) => void;

export class Ethernet {
  private readonly multicastGroups: Uint8Array[] = [];
  private readonly handlers = new Map<number, PayloadHandler>();
  /** The frame last handed out from the link's transmit memory, until it is sent. */
  private allocated: Uint8Array | undefined;

  constructor(
    private readonly link: NetLink,
    private readonly counters: NetCounters,
  ) {}

  get mac(): Uint8Array {
    return this.link.mac;
  }

  register(etherType: number, handler: PayloadHandler): void {
    this.handlers.set(etherType, handler);
  }

  /** Accepts frames sent to a multicast MAC address from now on. */
  joinMulticast(mac: Uint8Array): void {
    this.multicastGroups.push(mac.slice(0, MAC_LENGTH));
  }

  receive(frame: Uint8Array, info: RxInfo): void {
    this.counters.rxFrames++;
    this.counters.rxBytes += frame.length;
    if (frame.length < ETHERNET_HEADER_LENGTH) return this.counters.drop("ethernet.truncated");
    if (!this.accepts(frame)) return this.counters.drop("ethernet.notForUs");
    const handler = this.handlers.get(read16(frame, ETHERTYPE_OFFSET));
    if (handler === undefined) return this.counters.drop("ethernet.unknownEtherType");
    handler(frame, ETHERNET_HEADER_LENGTH, frame.length - ETHERNET_HEADER_LENGTH, info);
  }

  /**
   * A zero-filled frame for send(): in the link's transmit memory when it has room (built in place,
   * never copied), else on the heap. Only the latest such frame may be sent; allocate, fill, send.
   */
  allocate(length: number): Uint8Array {
    const frame = this.link.allocateFrame(length);
    this.allocated = frame;
    if (frame === undefined) return new Uint8Array(length);
    frame.fill(0);
    return frame;
  }

  /** Like allocate(), but only from the link's transmit memory: undefined when it has none free. */
  allocateInLink(length: number): Uint8Array | undefined {
    const frame = this.link.allocateFrame(length);
    this.allocated = frame;
    frame?.fill(0);
    return frame;
  }

  /** Whether `frame` lives in the link's transmit memory, which is reused: keep a copy instead. */
  inLinkMemory(frame: Uint8Array): boolean {
    return frame === this.allocated;
  }

  /** Fills in the header of a frame whose payload starts at ETHERNET_HEADER_LENGTH and transmits it. */
  send(frame: Uint8Array, destination: Uint8Array, etherType: number, offload?: ChecksumOffload): SendStatus {
    if (!this.link.linkUp) {
      this.counters.drop("tx.linkDown");
      return "dropped";
    }
    copyMac(frame, DESTINATION_OFFSET, destination);
    copyMac(frame, SOURCE_OFFSET, this.link.mac);
    write16(frame, ETHERTYPE_OFFSET, etherType);
    const length = frame.length;
    let queued: boolean;
    if (frame === this.allocated) {
      this.allocated = undefined;
      queued = this.link.transmitAllocated(frame, offload);
    } else queued = this.link.transmit(frame, offload);
    if (!queued) {
      this.counters.drop("tx.ringFull");
      return "busy";
    }
    this.counters.txFrames++;
    this.counters.txBytes += length;
    return "sent";
  }

  private accepts(frame: Uint8Array): boolean {
    if (bytesEqual(frame, DESTINATION_OFFSET, this.link.mac, 0, MAC_LENGTH)) return true;
    if ((frame[DESTINATION_OFFSET] & GROUP_BIT) === 0) return false;
    if (bytesEqual(frame, DESTINATION_OFFSET, BROADCAST_MAC, 0, MAC_LENGTH)) return true;
    return this.multicastGroups.some((group) => bytesEqual(frame, DESTINATION_OFFSET, group, 0, MAC_LENGTH));
  }
}

/** Copies a MAC address into a frame header without creating a view. */
function copyMac(frame: Uint8Array, offset: number, mac: Uint8Array): void {
  for (let i = 0; i < MAC_LENGTH; i++) frame[offset + i] = mac[i];
}
