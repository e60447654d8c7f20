import type { Ipv4Address } from "./address";
import { read16, write16 } from "./bytes";
import { checksumValid, internetChecksum } from "./checksum";
import type { NetCounters } from "./counters";
import { NetError } from "./errors";
import { IPV4_PAYLOAD_OFFSET, type Ipv4, type Ipv4Datagram } from "./ipv4";
import { PROTOCOL_ICMP } from "./ipv4-header";
import { randomUint16, type RandomSource, type Scheduler, type TimerHandle } from "./scheduler";

export const ICMP_HEADER_LENGTH = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DESTINATION_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_CODE_PORT_UNREACHABLE = 3;

const TYPE_OFFSET = 0;
const CODE_OFFSET = 1;
const CHECKSUM_OFFSET = 2;
const IDENTIFIER_OFFSET = 4;
const SEQUENCE_OFFSET = 6;
/** RFC 792: the offending header plus the first 64 bits of its payload. */
const QUOTED_PAYLOAD_LENGTH = 8;

export interface PingOptions {
  timeoutMs?: number;
  /** Bytes of echo data. */
  size?: number;
}

export interface IcmpOptions {
  /** Error messages sent per window, at most. */
  maxUnreachablePerWindow: number;
  unreachableWindowMs: number;
}

export const DEFAULT_ICMP_OPTIONS: IcmpOptions = { maxUnreachablePerWindow: 10, unreachableWindowMs: 1000 };
const DEFAULT_PING_TIMEOUT_MS = 1000;
const DEFAULT_PING_SIZE = 56;

interface PendingPing {
  readonly source: Ipv4Address;
  readonly sentAt: number;
  readonly resolve: (rttMs: number) => void;
  readonly timer: TimerHandle;
}

export class Icmp {
  private readonly identifier: number;
  private sequence = 0;
  private readonly pings = new Map<number, PendingPing>();
  private windowStart = Number.NEGATIVE_INFINITY;
  private sentInWindow = 0;

  constructor(
    private readonly ipv4: Ipv4,
    private readonly scheduler: Scheduler,
    private readonly counters: NetCounters,
    random: RandomSource,
    private readonly options: IcmpOptions = DEFAULT_ICMP_OPTIONS,
  ) {
    this.identifier = randomUint16(random);
  }

  /** Sends one echo request; resolves with the round-trip time in ms. */
  ping(destination: Ipv4Address, options: PingOptions = {}): Promise<number> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    const size = options.size ?? DEFAULT_PING_SIZE;
    const sequence = this.sequence;
    this.sequence = (this.sequence + 1) & 0xffff;
    return new Promise<number>((resolve, reject) => {
      const frame = this.ipv4.allocate(ICMP_HEADER_LENGTH + size);
      const message = frame.subarray(IPV4_PAYLOAD_OFFSET);
      message[TYPE_OFFSET] = ICMP_ECHO_REQUEST;
      write16(message, IDENTIFIER_OFFSET, this.identifier);
      write16(message, SEQUENCE_OFFSET, sequence);
      for (let i = ICMP_HEADER_LENGTH; i < message.length; i++) message[i] = i;
      write16(message, CHECKSUM_OFFSET, internetChecksum(message, 0, message.length));
      const status = this.ipv4.sendFrame(frame, destination, PROTOCOL_ICMP);
      if (status === "dropped" || status === "busy") {
        reject(new NetError("unreachable", `ping: cannot send (${status})`));
        return;
      }
      const timer = this.scheduler.setTimer(timeoutMs, () => {
        this.pings.delete(sequence);
        reject(new NetError("timeout", `ping: no reply within ${timeoutMs} ms`));
      });
      this.pings.set(sequence, { source: destination, sentAt: this.scheduler.now(), resolve, timer });
    });
  }

  /** Reports a datagram for a closed UDP port to its sender, rate limited. */
  sendPortUnreachable(offending: Ipv4Datagram): void {
    if (offending.broadcast) return;
    const now = this.scheduler.now();
    if (now - this.windowStart >= this.options.unreachableWindowMs) {
      this.windowStart = now;
      this.sentInWindow = 0;
    }
    if (this.sentInWindow >= this.options.maxUnreachablePerWindow) return this.counters.drop("icmp.unreachableRateLimited");
    this.sentInWindow++;
    const quoted = offending.payloadOffset - offending.headerOffset + Math.min(offending.payloadLength, QUOTED_PAYLOAD_LENGTH);
    const frame = this.ipv4.allocate(ICMP_HEADER_LENGTH + quoted);
    const message = frame.subarray(IPV4_PAYLOAD_OFFSET);
    message[TYPE_OFFSET] = ICMP_DESTINATION_UNREACHABLE;
    message[CODE_OFFSET] = ICMP_CODE_PORT_UNREACHABLE;
    message.set(offending.bytes.subarray(offending.headerOffset, offending.headerOffset + quoted), ICMP_HEADER_LENGTH);
    write16(message, CHECKSUM_OFFSET, internetChecksum(message, 0, message.length));
    this.ipv4.sendFrame(frame, offending.source, PROTOCOL_ICMP);
  }

  receive(datagram: Ipv4Datagram): void {
    const { bytes, payloadOffset: offset, payloadLength: length } = datagram;
    if (length < ICMP_HEADER_LENGTH) return this.counters.drop("icmp.truncated");
    if (!checksumValid(bytes, offset, length)) return this.counters.drop("icmp.badChecksum");
    const type = bytes[offset + TYPE_OFFSET];
    if (type === ICMP_ECHO_REQUEST && !datagram.broadcast) this.reply(datagram);
    else if (type === ICMP_ECHO_REPLY && read16(bytes, offset + IDENTIFIER_OFFSET) === this.identifier) {
      const sequence = read16(bytes, offset + SEQUENCE_OFFSET);
      const ping = this.pings.get(sequence);
      if (ping === undefined || ping.source !== datagram.source) return;
      this.pings.delete(sequence);
      this.scheduler.clearTimer(ping.timer);
      ping.resolve(this.scheduler.now() - ping.sentAt);
    }
  }

  private reply(request: Ipv4Datagram): void {
    const frame = this.ipv4.allocate(request.payloadLength);
    const message = frame.subarray(IPV4_PAYLOAD_OFFSET);
    message.set(request.bytes.subarray(request.payloadOffset, request.payloadOffset + request.payloadLength));
    message[TYPE_OFFSET] = ICMP_ECHO_REPLY;
    message[CODE_OFFSET] = 0;
    write16(message, CHECKSUM_OFFSET, 0);
    write16(message, CHECKSUM_OFFSET, internetChecksum(message, 0, message.length));
    this.ipv4.sendFrame(frame, request.source, PROTOCOL_ICMP);
  }
}
