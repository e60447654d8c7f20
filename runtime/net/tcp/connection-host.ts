import type { Ipv4Address } from "../address";
import type { Scheduler } from "../scheduler";
import type { TcpOptions } from "./config";
import type { TcpConnection } from "./connection";
import type { OutgoingSegment } from "./segment";
import type { NetCounters } from "../counters";
import type { NetError } from "../errors";

/** What a connection needs from the TCP layer that owns it. */
export interface ConnectionHost {
  readonly scheduler: Scheduler;
  readonly counters: NetCounters;
  readonly options: TcpOptions;
  /** Largest segment payload our link carries unfragmented. */
  readonly ourMss: number;
  /**
   * Most payload bytes one segment may carry when the link cuts it into MSS-sized ones (TCP
   * segmentation offload); 0 when it does not.
   */
  readonly maxSegmentedPayload: number;
  /** A new frame holding the header for `fields`, with `payloadLength` bytes at its end for the caller. */
  segmentFrame(fields: OutgoingSegment, payloadLength: number): Uint8Array;
  /**
   * As segmentFrame(), for a payload of up to maxSegmentedPayload bytes that the link segments;
   * undefined when the link has no room for one now.
   */
  segmentedFrame(fields: OutgoingSegment, payloadLength: number): Uint8Array | undefined;
  /**
   * Sends a frame from segmentFrame() or segmentedFrame(), given the word sum of its
   * `payloadLength` payload bytes; a segmented frame goes with the `segmentSize` (the MSS).
   */
  transmit(destination: Ipv4Address, frame: Uint8Array, payloadLength?: number, payloadSum?: number, segmentSize?: number): void;
  /** The handshake completed. */
  established(connection: TcpConnection): void;
  /** The connection entered TIME_WAIT (it stays in the tables until released). */
  enteredTimeWait(connection: TcpConnection): void;
  /** The connection reached CLOSED; `error` when it failed. */
  released(connection: TcpConnection, error: NetError | null): void;
}

export interface Endpoints {
  readonly localAddress: Ipv4Address;
  readonly localPort: number;
  readonly remoteAddress: Ipv4Address;
  readonly remotePort: number;
}
