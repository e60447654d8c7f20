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
  "reassembly.tooMany",
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
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** Per-interface traffic counters. */
export class NetCounters {
  rxFrames = 0;
  rxBytes = 0;
  txFrames = 0;
  txBytes = 0;
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
