import { toAddress, type AddressLike, type Ipv4Address } from "./address";
import { Arp, DEFAULT_ARP_OPTIONS, type ArpOptions } from "./arp";
import { UNCONFIGURED, type ConfigSource, type InterfaceConfig } from "./config";
import { NetCounters } from "./counters";
import { DEFAULT_DHCP_OPTIONS, DhcpClient, type DhcpOptions } from "./dhcp";
import { DEFAULT_DNS_OPTIONS, DnsResolver, type DnsOptions } from "./dns";
import { reportCallbackError } from "./errors";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, Ethernet, type SendStatus } from "./ethernet";
import { DEFAULT_ICMP_OPTIONS, Icmp, type IcmpOptions, type PingOptions } from "./icmp";
import { Ipv4, NO_CHECKSUM, type ProtocolHandler } from "./ipv4";
import { PROTOCOL_ICMP, PROTOCOL_UDP } from "./ipv4-header";
import type { NetLink } from "../../drivers/net-link";
import { DEFAULT_REASSEMBLY_OPTIONS, Reassembly, type ReassemblyOptions } from "./reassembly";
import type { RandomSource, Scheduler } from "./scheduler";
import type { TcpOptions } from "./tcp/config";
import { Tcp } from "./tcp/tcp";
import { Udp } from "./udp";

export interface NetStackOptions {
  readonly link: NetLink;
  readonly scheduler: Scheduler;
  readonly random: RandomSource;
  readonly arp?: Partial<ArpOptions>;
  readonly reassembly?: Partial<ReassemblyOptions>;
  readonly icmp?: Partial<IcmpOptions>;
  readonly dhcp?: Partial<DhcpOptions>;
  readonly dns?: Partial<DnsOptions>;
  readonly tcp?: Partial<TcpOptions>;
}

export type ConfigListener = (config: InterfaceConfig) => void;

/** One network interface: its link, addresses, counters and protocols, and the app-facing API. */
export class NetStack implements ConfigSource {
  readonly counters = new NetCounters();
  readonly udp: Udp;
  readonly tcp: Tcp;
  private readonly link: NetLink;
  private readonly ethernet: Ethernet;
  private readonly arp: Arp;
  private readonly ipv4: Ipv4;
  private readonly icmp: Icmp;
  private readonly dhcp: DhcpClient;
  private readonly dns: DnsResolver;
  private current: InterfaceConfig = UNCONFIGURED;
  private readonly listeners: ConfigListener[] = [];

  constructor(options: NetStackOptions) {
    const { link, scheduler, random } = options;
    this.link = link;
    this.ethernet = new Ethernet(link, this.counters);
    this.arp = new Arp(this.ethernet, this, scheduler, this.counters, { ...DEFAULT_ARP_OPTIONS, ...options.arp });
    const reassembly = new Reassembly(scheduler, this.counters, { ...DEFAULT_REASSEMBLY_OPTIONS, ...options.reassembly });
    this.ipv4 = new Ipv4(link, this.ethernet, this.arp, reassembly, this, this.counters, random);
    this.icmp = new Icmp(this.ipv4, scheduler, this.counters, random, { ...DEFAULT_ICMP_OPTIONS, ...options.icmp });
    this.udp = new Udp(this.ipv4, this.icmp, this.counters, random);
    this.dhcp = new DhcpClient(
      { udp: this.udp, scheduler, random, mac: link.mac, counters: this.counters, onLease: (config) => this.apply(config ?? UNCONFIGURED) },
      { ...DEFAULT_DHCP_OPTIONS, ...options.dhcp },
    );
    this.dns = new DnsResolver(
      { udp: this.udp, scheduler, random, counters: this.counters, servers: () => this.current.dnsServers },
      { ...DEFAULT_DNS_OPTIONS, ...options.dns },
    );
    this.ethernet.register(ETHERTYPE_ARP, (frame, offset, length) => this.arp.receive(frame, offset, length));
    this.ethernet.register(ETHERTYPE_IPV4, (frame, offset, length, info) => this.ipv4.receive(frame, offset, length, info));
    this.ipv4.register(PROTOCOL_ICMP, (datagram) => this.icmp.receive(datagram));
    this.ipv4.register(PROTOCOL_UDP, (datagram) => this.udp.receive(datagram));
    this.tcp = new Tcp({ stack: this, scheduler, random }, options.tcp);
    link.onReceive((frame, info) => this.ethernet.receive(frame, info));
    link.onLinkChange((up) => {
      if (up) this.arp.announce();
    });
  }

  get config(): InterfaceConfig {
    return this.current;
  }

  get mac(): Uint8Array {
    return this.link.mac;
  }

  /** Largest payload ipSend() transmits unfragmented. */
  get maxUnfragmentedPayload(): number {
    return this.ipv4.maxUnfragmentedPayload;
  }

  /** Sets the addresses by hand (stopping DHCP if it ran) and announces them. */
  configureStatic(config: InterfaceConfig): void {
    this.dhcp.stop();
    this.apply(config);
  }

  /** Runs the DHCP client; resolves with the first lease. Renewal continues in the background. */
  configureDhcp(): Promise<InterfaceConfig> {
    return this.dhcp.start();
  }

  onConfigChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  /** Echo round trip time in ms; rejects with a "timeout" or "unreachable" NetError. */
  ping(destination: AddressLike, options?: PingOptions): Promise<number> {
    return this.icmp.ping(toAddress(destination), options);
  }

  resolve(name: string): Promise<Ipv4Address[]> {
    return this.dns.resolve(name);
  }

  /** Receives every valid datagram for an IP protocol (TCP: 6). See Ipv4Datagram for lifetimes. */
  registerProtocol(protocol: number, handler: ProtocolHandler): void {
    this.ipv4.register(protocol, handler);
  }

  /**
   * Sends `payload` as one datagram (fragmented beyond the MTU). With `checksumOffset`, the
   * transport checksum field at that payload offset is filled in over the pseudo-header
   * (by the link when it offloads); leave it out if the payload already carries its checksum.
   */
  ipSend(destination: Ipv4Address, protocol: number, payload: Uint8Array, checksumOffset = NO_CHECKSUM): SendStatus {
    return this.ipv4.send(destination, protocol, payload, checksumOffset);
  }

  /** A zeroed frame for ipSendFrame() whose transport payload starts at IPV4_PAYLOAD_OFFSET; see Ipv4.allocate(). */
  ipAllocate(payloadLength: number): Uint8Array {
    return this.ipv4.allocate(payloadLength);
  }

  /** Largest transport payload one segmented datagram carries (TCP segmentation offload); 0 without it. */
  get maxSegmentedPayload(): number {
    return this.ipv4.maxSegmentedPayload;
  }

  /** A frame for a segmented datagram, or undefined; see Ipv4.allocateSegmented(). */
  ipAllocateSegmented(payloadLength: number): Uint8Array | undefined {
    return this.ipv4.allocateSegmented(payloadLength);
  }

  /**
   * Sends a frame from ipAllocate() or ipAllocateSegmented() without copying it; `checksumOffset`
   * as for ipSend(), the rest as for Ipv4.sendFrame().
   */
  ipSendFrame(
    frame: Uint8Array,
    destination: Ipv4Address,
    protocol: number,
    checksumOffset = NO_CHECKSUM,
    summedLength = 0,
    summed = 0,
    segmentSize = 0,
    transportHeaderLength = 0,
  ): SendStatus {
    return this.ipv4.sendFrame(frame, destination, protocol, checksumOffset, summedLength, summed, segmentSize, transportHeaderLength);
  }

  private apply(config: InterfaceConfig): void {
    const changed = config.address !== this.current.address;
    this.current = config;
    if (changed) {
      this.arp.flush();
      this.arp.announce();
    }
    for (const listener of this.listeners) {
      try {
        listener(config);
      } catch (error) {
        reportCallbackError(error);
      }
    }
  }
}
