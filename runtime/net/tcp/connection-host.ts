import type { Ipv4Address } from "../address";
import type { Scheduler } from "../scheduler";
import type { TcpOptions } from "./config";
import type { TcpConnection } from "./connection";
import type { TcpCounters } from "./counters";
import type { TcpError } from "./errors";

/** What a connection needs from the TCP layer that owns it. */
export interface ConnectionHost {
  readonly scheduler: Scheduler;
  readonly counters: TcpCounters;
  readonly options: TcpOptions;
  /** Largest segment payload our link carries unfragmented. */
  readonly ourMss: number;
  transmit(destination: Ipv4Address, segment: Uint8Array): void;
  /** The handshake completed. */
  established(connection: TcpConnection): void;
  /** The connection reached CLOSED; `error` when it failed. */
  released(connection: TcpConnection, error: TcpError | null): void;
}

export interface Endpoints {
  readonly localAddress: Ipv4Address;
  readonly localPort: number;
  readonly remoteAddress: Ipv4Address;
  readonly remotePort: number;
}
