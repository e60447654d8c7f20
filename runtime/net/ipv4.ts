import { BROADCAST_MAC, LIMITED_BROADCAST, UNSPECIFIED_ADDRESS, isMulticast, type Ipv4Address } from "./address";
import type { Arp } from "./arp";
import { read16, write16 } from "./bytes";
import { checksumValid, finishChecksum, foldSum, pseudoHeaderSum, sumBytes } from "./checksum";
import type { ConfigSource } from "./config";
import type { NetCounters } from "./counters";
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_IPV4, type Ethernet, type SendStatus } from "./ethernet";
import {
  FLAG_MORE_FRAGMENTS,
  FRAGMENT_OFFSET_MASK,
  FRAGMENT_UNIT,
  IPV4_HEADER_LENGTH,
  IPV4_MAX_DATAGRAM,
  IPV4_VERSION,
  PROTOCOL_OFFSET,
  TOTAL_LENGTH_OFFSET,
  VERSION_IHL_OFFSET,
  headerLength,
  readDestination,
  readFragmentWord,
  readSource,
  writeIpv4Header,
  type Ipv4HeaderFields,
} from "./ipv4-header";
import type { ChecksumOffload, NetLink, RxInfo } from "../../drivers/net-link";
import type { Reassembly } from "./reassembly";
import { randomUint16, type RandomSource } from "./scheduler";
import type { Mutable } from "./mutable";

/** Where the transport payload starts in frames from Ipv4.allocate(). */
export const IPV4_PAYLOAD_OFFSET = ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH;
/** For send(): the transport has no pseudo-header checksum for the IP layer to fill in. */
export const NO_CHECKSUM = -1;

/**
 * One received datagram, as handed to a protocol handler. The object and `bytes` are reused and
 * valid only during the call; copy whatever must outlive it.
 */
export interface Ipv4Datagram {
  readonly bytes: Uint8Array;
  readonly headerOffset: number;
  readonly payloadOffset: number;
  readonly payloadLength: number;
  readonly source: Ipv4Address;
  readonly destination: Ipv4Address;
  readonly protocol: number;
  /** Sent to a broadcast address rather than to us alone. */
  readonly broadcast: boolean;
  /** The link verified the transport checksum. */
  readonly checksumValidated: boolean;
}

export type ProtocolHandler = (datagram: Ipv4Datagram) => void;

export class Ipv4 {
  private readonly handlers = new Map<number, ProtocolHandler>();
  private readonly received: Mutable<Ipv4Datagram> = {
    bytes: new Uint8Array(0),
    headerOffset: 0,
    payloadOffset: 0,
    payloadLength: 0,
    source: 0,
    destination: 0,
    protocol: 0,
    broadcast: false,
    checksumValidated: false,
  };
  private identification: number;
  /** Reused for every header written: output allocates no objects per datagram. */
  private readonly header: Mutable<Ipv4HeaderFields> = { totalLength: 0, identification: 0, fragment: 0, protocol: 0, source: 0, destination: 0 };

  constructor(
    private readonly link: NetLink,
    private readonly ethernet: Ethernet,
    private readonly arp: Arp,
    private readonly reassembly: Reassembly,
    private readonly interfaceConfig: ConfigSource,
    private readonly counters: NetCounters,
    random: RandomSource,
  ) {
    this.identification = randomUint16(random);
  }

  /** Largest transport payload sent without fragmentation. */
  get maxUnfragmentedPayload(): number {
    return this.link.mtu - IPV4_HEADER_LENGTH;
  }

  /**
   * Largest transport payload sent as one datagram that the link cuts into segments (TCP
   * segmentation offload; the link also checksums); 0 when the link does not.
   */
  get maxSegmentedPayload(): number {
    const limit = this.link.segmentationLimit ?? 0;
    return limit > this.link.mtu && this.link.checksumOffload ? Math.min(limit, IPV4_MAX_DATAGRAM) - IPV4_HEADER_LENGTH : 0;
  }

  register(protocol: number, handler: ProtocolHandler): void {
    this.handlers.set(protocol, handler);
  }

  /**
   * A zero-filled frame with the transport payload to be written at IPV4_PAYLOAD_OFFSET. One that
   * needs no fragmenting may live in the link's transmit memory: fill it and send it before
   * allocating another.
   */
  allocate(payloadLength: number): Uint8Array {
    const length = IPV4_PAYLOAD_OFFSET + payloadLength;
    return payloadLength <= this.maxUnfragmentedPayload ? this.ethernet.allocate(length) : new Uint8Array(length);
  }

  /**
   * A zero-filled frame in the link's transmit memory for a payload up to maxSegmentedPayload, to
   * be sent with a segment size; undefined when the link has none free (send smaller datagrams then).
   */
  allocateSegmented(payloadLength: number): Uint8Array | undefined {
    if (payloadLength > this.maxSegmentedPayload) return undefined;
    return this.ethernet.allocateInLink(IPV4_PAYLOAD_OFFSET + payloadLength);
  }

  /** Copies `payload` into a new frame and sends it; see sendFrame. */
  send(destination: Ipv4Address, protocol: number, payload: Uint8Array, checksumOffset = NO_CHECKSUM): SendStatus {
    const frame = this.allocate(payload.length);
    frame.set(payload, IPV4_PAYLOAD_OFFSET);
    return this.sendFrame(frame, destination, protocol, checksumOffset);
  }

  /**
   * Sends a frame from allocate(). `checksumOffset` locates a transport checksum field (UDP, TCP)
   * within the payload: the IP layer fills it in over the pseudo-header, or has the link do so.
   * Datagrams beyond the MTU are fragmented. A caller that already has the word sum of the
   * payload's last `summedLength` bytes (from copying them in; they start at an even payload
   * offset) passes it as `summed`, so that those bytes are not read again. A frame from
   * allocateSegmented() goes with `segmentSize` (TCP: the MSS) and `transportHeaderLength`: the
   * link sends it as segments of that much payload each.
   */
  sendFrame(
    frame: Uint8Array,
    destination: Ipv4Address,
    protocol: number,
    checksumOffset = NO_CHECKSUM,
    summedLength = 0,
    summed = 0,
    segmentSize = 0,
    transportHeaderLength = 0,
  ): SendStatus {
    const payloadLength = frame.length - IPV4_PAYLOAD_OFFSET;
    if (payloadLength + IPV4_HEADER_LENGTH > IPV4_MAX_DATAGRAM) {
      this.counters.drop("ipv4.tooLarge");
      return "dropped";
    }
    const broadcast = this.isBroadcast(destination);
    const nextHop = broadcast ? LIMITED_BROADCAST : this.route(destination);
    if (nextHop === UNSPECIFIED_ADDRESS) {
      this.counters.drop("ipv4.noRoute");
      return "dropped";
    }
    const source = this.interfaceConfig.config.address;
    const segmented = segmentSize > 0 && checksumOffset !== NO_CHECKSUM && payloadLength > this.maxUnfragmentedPayload && payloadLength <= this.maxSegmentedPayload;
    const fits = segmented || payloadLength <= this.maxUnfragmentedPayload;
    let offload: ChecksumOffload | undefined;
    if (checksumOffset !== NO_CHECKSUM) {
      const field = IPV4_PAYLOAD_OFFSET + checksumOffset;
      // For a segmented datagram the sum covers its whole length; the link adjusts it per segment.
      const pseudo = pseudoHeaderSum(source, destination, protocol, payloadLength);
      if (fits && this.link.checksumOffload) {
        write16(frame, field, foldSum(pseudo));
        offload = segmented
          ? { start: IPV4_PAYLOAD_OFFSET, offset: checksumOffset, segmentSize, headerLength: IPV4_PAYLOAD_OFFSET + transportHeaderLength }
          : { start: IPV4_PAYLOAD_OFFSET, offset: checksumOffset };
      } else {
        write16(frame, field, 0);
        // All-zero would mean "no checksum" to UDP; all-ones is the same value in one's complement.
        write16(frame, field, finishChecksum(sumBytes(frame, IPV4_PAYLOAD_OFFSET, payloadLength - summedLength, pseudo + summed)) || 0xffff);
      }
    }
    const header = this.header;
    header.identification = this.identification;
    header.protocol = protocol;
    header.source = source;
    header.destination = destination;
    this.identification = (this.identification + 1) & 0xffff;
    if (fits) {
      header.totalLength = IPV4_HEADER_LENGTH + payloadLength;
      header.fragment = 0;
      writeIpv4Header(frame, ETHERNET_HEADER_LENGTH, header);
      return this.transmit(frame, broadcast, nextHop, offload);
    }
    const chunk = Math.floor(this.maxUnfragmentedPayload / FRAGMENT_UNIT) * FRAGMENT_UNIT;
    let status: SendStatus = "sent";
    for (let start = 0; start < payloadLength; start += chunk) {
      const length = Math.min(chunk, payloadLength - start);
      const more = start + length < payloadLength ? FLAG_MORE_FRAGMENTS : 0;
      const fragment = this.allocate(length);
      fragment.set(frame.subarray(IPV4_PAYLOAD_OFFSET + start, IPV4_PAYLOAD_OFFSET + start + length), IPV4_PAYLOAD_OFFSET);
      header.totalLength = IPV4_HEADER_LENGTH + length;
      header.fragment = more | (start / FRAGMENT_UNIT);
      writeIpv4Header(fragment, ETHERNET_HEADER_LENGTH, header);
      const fragmentStatus = this.transmit(fragment, broadcast, nextHop, undefined);
      if (fragmentStatus !== "sent" && status !== "dropped" && status !== "busy") status = fragmentStatus;
    }
    return status;
  }

  receive(frame: Uint8Array, offset: number, length: number, info: RxInfo): void {
    if (length < IPV4_HEADER_LENGTH) return this.counters.drop("ipv4.truncated");
    if (frame[offset + VERSION_IHL_OFFSET] >>> 4 !== IPV4_VERSION) return this.counters.drop("ipv4.badVersion");
    const headerBytes = headerLength(frame, offset);
    if (headerBytes < IPV4_HEADER_LENGTH || headerBytes > length) return this.counters.drop("ipv4.badHeaderLength");
    // Frames may carry Ethernet padding beyond the datagram; the total length field is authoritative.
    const totalLength = read16(frame, offset + TOTAL_LENGTH_OFFSET);
    if (totalLength < headerBytes || totalLength > length) return this.counters.drop("ipv4.badTotalLength");
    if (!checksumValid(frame, offset, headerBytes)) return this.counters.drop("ipv4.badChecksum");
    const source = readSource(frame, offset);
    if (source === LIMITED_BROADCAST || isMulticast(source)) return this.counters.drop("ipv4.badSource");
    const destination = readDestination(frame, offset);
    const broadcast = this.isBroadcast(destination);
    const ourAddress = this.interfaceConfig.config.address;
    // Unconfigured, we take unicast to any address: a DHCP server may send the offer that way.
    if (!broadcast && destination !== ourAddress && ourAddress !== UNSPECIFIED_ADDRESS) return this.counters.drop("ipv4.notForUs");
    const protocol = frame[offset + PROTOCOL_OFFSET];
    const handler = this.handlers.get(protocol);
    if (handler === undefined) return this.counters.drop("ipv4.unknownProtocol");

    const fragmentWord = readFragmentWord(frame, offset);
    const datagram = this.received;
    if ((fragmentWord & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) !== 0) {
      const whole = this.reassembly.add(frame, offset, offset + headerBytes, totalLength - headerBytes, fragmentWord);
      if (whole === null) return;
      datagram.bytes = whole;
      datagram.headerOffset = 0;
      datagram.payloadOffset = IPV4_HEADER_LENGTH;
      datagram.payloadLength = whole.length - IPV4_HEADER_LENGTH;
      datagram.checksumValidated = false;
    } else {
      datagram.bytes = frame;
      datagram.headerOffset = offset;
      datagram.payloadOffset = offset + headerBytes;
      datagram.payloadLength = totalLength - headerBytes;
      datagram.checksumValidated = info.checksumValidated;
    }
    datagram.source = source;
    datagram.destination = destination;
    datagram.protocol = protocol;
    datagram.broadcast = broadcast;
    handler(datagram);
  }

  private transmit(packet: Uint8Array, broadcast: boolean, nextHop: Ipv4Address, offload: ChecksumOffload | undefined): SendStatus {
    return broadcast ? this.ethernet.send(packet, BROADCAST_MAC, ETHERTYPE_IPV4, offload) : this.arp.sendIpv4(nextHop, packet, offload);
  }

  isBroadcast(address: Ipv4Address): boolean {
    if (address === LIMITED_BROADCAST) return true;
    const { address: ours, netmask } = this.interfaceConfig.config;
    return ours !== UNSPECIFIED_ADDRESS && netmask !== LIMITED_BROADCAST && (address | netmask) >>> 0 === LIMITED_BROADCAST && ((address ^ ours) & netmask) === 0;
  }

  /** The on-link next hop for a destination, or UNSPECIFIED_ADDRESS when there is no route. */
  route(destination: Ipv4Address): Ipv4Address {
    const { address, netmask, gateway } = this.interfaceConfig.config;
    if (address === UNSPECIFIED_ADDRESS || isMulticast(destination)) return UNSPECIFIED_ADDRESS;
    return ((destination ^ address) & netmask) === 0 ? destination : gateway;
  }
}
