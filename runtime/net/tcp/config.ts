/**
 * When listeners answer SYNs with SYN cookies (see syn-cookies.ts) instead of keeping a
 * half-open connection: "when-full" once the half-open limit (maxPendingHandshakes) or the
 * listener's backlog is reached, "always" for every SYN, "never" to drop SYNs beyond the limits.
 * A connection opened through a cookie has no window scaling and one of four MSS values.
 */
export type SynCookieMode = "never" | "when-full" | "always";

/** Tunables of the TCP layer; every field has a default in DEFAULT_TCP_OPTIONS. */
export interface TcpOptions {
  /** Established and closing connections, at most (TIME_WAIT apart: see maxTimeWait). */
  maxConnections: number;
  /**
   * Connections held in TIME_WAIT, at most; one more ends the oldest early (as Linux's
   * tcp_max_tw_buckets does), so closed connections never keep new clients out.
   */
  maxTimeWait: number;
  /** Half-open (SYN_RECEIVED) connections across all listeners; further SYNs get cookies or are dropped. */
  maxPendingHandshakes: number;
  /** Listen backlog when listen() is given none. */
  defaultBacklog: number;
  /** SYN cookies, so that a SYN flood filling the limits above does not shut clients out. */
  synCookies: SynCookieMode;
  sendBufferBytes: number;
  receiveBufferBytes: number;
  /** Separate out-of-order ranges held per connection (their bytes are bounded by the window). */
  maxOutOfOrderSegments: number;
  /** Offer window scaling (RFC 7323); used only when the peer offers it too. */
  windowScaling: boolean;
  initialRtoMs: number;
  minRtoMs: number;
  maxRtoMs: number;
  /**
   * Retransmissions of one segment before the connection fails with "timeout"; also how many
   * zero-window probes may go unanswered in a row.
   */
  maxRetransmits: number;
  /**
   * Zero-window probes, answered or not, once the app has closed the connection: a peer that
   * keeps its window shut cannot hold an orphaned connection (and its buffers) for ever.
   */
  maxOrphanProbes: number;
  /** SYN retransmissions for connect() and SYN-ACK retransmissions for passive opens. */
  maxSynRetransmits: number;
  delayedAckMs: number;
  /** Twice the maximum segment lifetime: how long TIME_WAIT lasts. */
  timeWaitMs: number;
  /** Nagle's algorithm for new connections (off suits request/response servers). */
  nagle: boolean;
  /** How long FIN_WAIT_2 waits for the peer's FIN after the app closed both directions. */
  finWait2TimeoutMs: number;
}

export const DEFAULT_TCP_OPTIONS: TcpOptions = {
  maxConnections: 1024,
  maxTimeWait: 256,
  maxPendingHandshakes: 128,
  defaultBacklog: 64,
  synCookies: "when-full",
  sendBufferBytes: 64 * 1024,
  receiveBufferBytes: 64 * 1024,
  maxOutOfOrderSegments: 64,
  windowScaling: true,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 60_000,
  maxRetransmits: 8,
  maxOrphanProbes: 4,
  maxSynRetransmits: 5,
  delayedAckMs: 40,
  timeWaitMs: 60_000,
  nagle: false,
  finWait2TimeoutMs: 60_000,
};

export interface KeepAliveOptions {
  /** Quiet time before the first probe. */
  idleMs: number;
  intervalMs: number;
  /** Unanswered probes before the connection fails with "timeout". */
  probes: number;
}

export const DEFAULT_KEEP_ALIVE: KeepAliveOptions = { idleMs: 7_200_000, intervalMs: 75_000, probes: 9 };
