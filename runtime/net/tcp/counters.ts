/** Why TCP discards an arriving segment. */
export const TCP_DROP_REASONS = [
  "truncated",
  "badDataOffset",
  "badOptions",
  "badChecksum",
  "badAddress",
  "noConnection",
  "synFlood",
  "connectionLimit",
  "backlogFull",
  "outOfWindow",
  "badAck",
  "outOfOrderFull",
  "noAck",
] as const;

export type TcpDropReason = (typeof TCP_DROP_REASONS)[number];

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
  readonly drops: Record<TcpDropReason, number>;

  constructor() {
    const drops: Partial<Record<TcpDropReason, number>> = {};
    for (const reason of TCP_DROP_REASONS) drops[reason] = 0;
    this.drops = drops as Record<TcpDropReason, number>;
  }

  drop(reason: TcpDropReason): void {
    this.drops[reason]++;
  }
}
