import { BROADCAST_MAC, IPV4_ADDRESS_LENGTH, MAC_LENGTH, UNSPECIFIED_ADDRESS, type Ipv4Address } from "./address";
import { read16, read32, write16, write32 } from "./bytes";
import type { ConfigSource } from "./config";
import type { NetCounters } from "./counters";
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_ARP, ETHERTYPE_IPV4, type Ethernet, type SendStatus } from "./ethernet";
import type { ChecksumOffload } from "../../drivers/net-link";
import type { Scheduler, TimerHandle } from "./scheduler";

export const ARP_PACKET_LENGTH = 28;
const HARDWARE_TYPE_ETHERNET = 1;
const OPERATION_REQUEST = 1;
const OPERATION_REPLY = 2;

const HARDWARE_TYPE_OFFSET = 0;
const PROTOCOL_TYPE_OFFSET = 2;
const HARDWARE_LENGTH_OFFSET = 4;
const PROTOCOL_LENGTH_OFFSET = 5;
const OPERATION_OFFSET = 6;
const SENDER_MAC_OFFSET = 8;
const SENDER_IP_OFFSET = 14;
const TARGET_MAC_OFFSET = 18;
const TARGET_IP_OFFSET = 24;

export interface ArpOptions {
  cacheLifetimeMs: number;
  maxCacheEntries: number;
  retryIntervalMs: number;
  maxRequests: number;
  /** Frames held per unresolved address; enough for a maximum-size datagram in 1500-byte fragments. */
  maxQueuedFrames: number;
  maxUnresolved: number;
}

export const DEFAULT_ARP_OPTIONS: ArpOptions = {
  cacheLifetimeMs: 60_000,
  maxCacheEntries: 256,
  retryIntervalMs: 1000,
  maxRequests: 3,
  maxQueuedFrames: 48,
  maxUnresolved: 16,
};

interface CacheEntry {
  readonly mac: Uint8Array;
  readonly expiresAt: number;
}

interface QueuedFrame {
  readonly frame: Uint8Array;
  readonly offload: ChecksumOffload | undefined;
}

interface Resolution {
  readonly frames: QueuedFrame[];
  requests: number;
  timer: TimerHandle;
}

export class Arp {
  private readonly cache = new Map<Ipv4Address, CacheEntry>();
  private readonly unresolved = new Map<Ipv4Address, Resolution>();

  constructor(
    private readonly ethernet: Ethernet,
    private readonly interfaceConfig: ConfigSource,
    private readonly scheduler: Scheduler,
    private readonly counters: NetCounters,
    private readonly options: ArpOptions = DEFAULT_ARP_OPTIONS,
  ) {}

  /** The cached MAC for an address, if still fresh. */
  lookup(address: Ipv4Address): Uint8Array | undefined {
    const entry = this.cache.get(address);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.scheduler.now()) {
      this.cache.delete(address);
      return undefined;
    }
    return entry.mac;
  }

  /** Sends an IPv4 frame to an on-link next hop, resolving its MAC first if needed. */
  sendIpv4(nextHop: Ipv4Address, frame: Uint8Array, offload?: ChecksumOffload): SendStatus {
    const mac = this.lookup(nextHop);
    if (mac !== undefined) return this.ethernet.send(frame, mac, ETHERTYPE_IPV4, offload);
    let resolution = this.unresolved.get(nextHop);
    const first = resolution === undefined;
    if (resolution === undefined) {
      if (this.unresolved.size >= this.options.maxUnresolved) {
        this.counters.drop("arp.queueFull");
        return "dropped";
      }
      resolution = { frames: [], requests: 0, timer: undefined };
      this.unresolved.set(nextHop, resolution);
    }
    let status: SendStatus = "queued";
    if (resolution.frames.length >= this.options.maxQueuedFrames) {
      this.counters.drop("arp.queueFull");
      status = "dropped";
    } else {
      // Kept before the request goes out: a frame in the link's transmit memory is reused by it.
      resolution.frames.push({ frame: this.ethernet.inLinkMemory(frame) ? frame.slice() : frame, offload });
    }
    if (first) this.request(nextHop, resolution);
    return status;
  }

  /** Gratuitous ARP: tells the segment our current address (after configuration or link up). */
  announce(): void {
    const address = this.interfaceConfig.config.address;
    if (address !== UNSPECIFIED_ADDRESS) this.transmit(OPERATION_REQUEST, BROADCAST_MAC, address);
  }

  /** Forgets everything, e.g. when the address changes. */
  flush(): void {
    this.cache.clear();
    for (const [address, resolution] of this.unresolved) this.giveUp(address, resolution);
  }

  receive(frame: Uint8Array, offset: number, length: number): void {
    if (length < ARP_PACKET_LENGTH) return this.counters.drop("arp.truncated");
    if (
      read16(frame, offset + HARDWARE_TYPE_OFFSET) !== HARDWARE_TYPE_ETHERNET ||
      read16(frame, offset + PROTOCOL_TYPE_OFFSET) !== ETHERTYPE_IPV4 ||
      frame[offset + HARDWARE_LENGTH_OFFSET] !== MAC_LENGTH ||
      frame[offset + PROTOCOL_LENGTH_OFFSET] !== IPV4_ADDRESS_LENGTH
    ) {
      return this.counters.drop("arp.unsupported");
    }
    const operation = read16(frame, offset + OPERATION_OFFSET);
    const senderIp = read32(frame, offset + SENDER_IP_OFFSET);
    const targetIp = read32(frame, offset + TARGET_IP_OFFSET);
    const ourAddress = this.interfaceConfig.config.address;
    const forUs = ourAddress !== UNSPECIFIED_ADDRESS && targetIp === ourAddress;
    // RFC 826: refresh an existing entry from any ARP packet, create one only when addressed to us.
    if (senderIp !== UNSPECIFIED_ADDRESS && (forUs || this.cache.has(senderIp) || this.unresolved.has(senderIp))) {
      this.learn(senderIp, frame.slice(offset + SENDER_MAC_OFFSET, offset + SENDER_MAC_OFFSET + MAC_LENGTH));
    }
    if (forUs && operation === OPERATION_REQUEST) {
      this.transmit(OPERATION_REPLY, frame.subarray(offset + SENDER_MAC_OFFSET), senderIp);
    }
  }

  private learn(address: Ipv4Address, mac: Uint8Array): void {
    this.cache.delete(address);
    if (this.cache.size >= this.options.maxCacheEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(address, { mac, expiresAt: this.scheduler.now() + this.options.cacheLifetimeMs });
    const resolution = this.unresolved.get(address);
    if (resolution === undefined) return;
    this.unresolved.delete(address);
    this.scheduler.clearTimer(resolution.timer);
    for (const queued of resolution.frames) this.ethernet.send(queued.frame, mac, ETHERTYPE_IPV4, queued.offload);
  }

  private request(address: Ipv4Address, resolution: Resolution): void {
    resolution.requests++;
    this.transmit(OPERATION_REQUEST, BROADCAST_MAC, address);
    resolution.timer = this.scheduler.setTimer(this.options.retryIntervalMs, () => {
      if (resolution.requests < this.options.maxRequests) this.request(address, resolution);
      else this.giveUp(address, resolution);
    });
  }

  private giveUp(address: Ipv4Address, resolution: Resolution): void {
    this.unresolved.delete(address);
    this.scheduler.clearTimer(resolution.timer);
    this.counters.drop("arp.unresolved", resolution.frames.length);
  }

  /** Requests go to broadcast with a zero target MAC; replies go straight to the asker. */
  private transmit(operation: number, targetMac: Uint8Array, targetIp: Ipv4Address): void {
    const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + ARP_PACKET_LENGTH);
    const packet = frame.subarray(ETHERNET_HEADER_LENGTH);
    const request = operation === OPERATION_REQUEST;
    const ourMac = this.ethernet.mac;
    write16(packet, HARDWARE_TYPE_OFFSET, HARDWARE_TYPE_ETHERNET);
    write16(packet, PROTOCOL_TYPE_OFFSET, ETHERTYPE_IPV4);
    packet[HARDWARE_LENGTH_OFFSET] = MAC_LENGTH;
    packet[PROTOCOL_LENGTH_OFFSET] = IPV4_ADDRESS_LENGTH;
    write16(packet, OPERATION_OFFSET, operation);
    packet.set(ourMac.subarray(0, MAC_LENGTH), SENDER_MAC_OFFSET);
    write32(packet, SENDER_IP_OFFSET, this.interfaceConfig.config.address);
    if (!request) packet.set(targetMac.subarray(0, MAC_LENGTH), TARGET_MAC_OFFSET);
    write32(packet, TARGET_IP_OFFSET, targetIp);
    this.ethernet.send(frame, request ? BROADCAST_MAC : targetMac.subarray(0, MAC_LENGTH), ETHERTYPE_ARP);
  }
}
