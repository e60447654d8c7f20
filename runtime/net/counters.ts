/** Every reason the stack drops a packet, by layer. */
export const DROP_REASONS = [
  "ethernet.truncated",
  "ethernet.notForUs",
  "ethernet.unknownEtherType",
  "tx.linkDown",
  "tx.ringFull",
  "arp.truncated",
  "arp.unsupported",
  "arp.queueFull",
  "arp.unresolved",
  "ipv4.truncated",
  "ipv4.badVersion",
  "ipv4.badHeaderLength",
  "ipv4.badTotalLength",
  "ipv4.badChecksum",
  "ipv4.badSource",
  "ipv4.notForUs",
  "ipv4.unknownProtocol",
  "ipv4.noRoute",
  "ipv4.tooLarge",
  "reassembly.badFragment",
  "reassembly.overlap",
  "reassembly.tooLarge",
  "reassembly.evicted",
  "reassembly.tooManyFragments",
  "reassembly.timeout",
  "icmp.truncated",
  "icmp.badChecksum",
  "icmp.unreachableRateLimited",
  "udp.truncated",
  "udp.badLength",
  "udp.badChecksum",
  "udp.portUnreachable",
  "udp.queueFull",
  "dhcp.malformed",
  "dns.malformed",
  "tcp.truncated",
  "tcp.badDataOffset",
  "tcp.badOptions",
  "tcp.badChecksum",
  "tcp.badAddress",
  "tcp.noConnection",
  "tcp.synFlood",
  "tcp.connectionLimit",
  "tcp.backlogFull",
  "tcp.outOfWindow",
  "tcp.badAck",
  "tcp.outOfOrderFull",
  "tcp.noAck",
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** TCP events; its drops are among the interface's, as "tcp.*". */
export class TcpCounters {
  segmentsIn = 0;
  segmentsOut = 0;
  retransmits = 0;
  fastRetransmits = 0;
  resetsIn = 0;
  resetsOut = 0;
  activeOpens = 0;
  passiveOpens = 0;
  /** Connections ended by retransmission or keep-alive timeout. */
  timeouts = 0;
  /** Connections open now, in any state but CLOSED (TIME_WAIT included). */
  connections = 0;
  /** Of those, in TIME_WAIT now. */
  timeWait = 0;
  /** TIME_WAIT connections ended early to stay within maxTimeWait. */
  timeWaitRecycled = 0;
  /** SYN-ACKs sent with a SYN cookie instead of a half-open connection. */
  syncookiesSent = 0;
  /** ACKs whose cookie was valid (each opened a connection unless maxConnections was reached). */
  syncookiesValidated = 0;
  /** ACKs checked for a cookie while cookies were out, and refused. */
  syncookiesFailed = 0;
}

/** Per-interface traffic counters, TCP's included: one object a status page can print. */
export class NetCounters {
  rxFrames = 0;
  rxBytes = 0;
  txFrames = 0;
  txBytes = 0;
  readonly tcp = new TcpCounters();
  readonly drops: Record<DropReason, number>;

  constructor() {
    const drops: Partial<Record<DropReason, number>> = {};
    for (const reason of DROP_REASONS) drops[reason] = 0;
    this.drops = drops as Record<DropReason, number>;
  }

  drop(reason: DropReason, count = 1): void {
    this.drops[reason] += count;
  }
}
