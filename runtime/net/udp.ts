import { toAddress, type AddressLike, type Ipv4Address } from "./address";
import { read16, write16 } from "./bytes";
import { checksumValid, pseudoHeaderSum } from "./checksum";
import type { NetCounters } from "./counters";
import { NetError, reportCallbackError } from "./errors";
import type { SendStatus } from "./ethernet";
import type { Icmp } from "./icmp";
import { IPV4_PAYLOAD_OFFSET, type Ipv4, type Ipv4Datagram } from "./ipv4";
import { PROTOCOL_UDP } from "./ipv4-header";
import { randomUint16, type RandomSource } from "./scheduler";

export const UDP_HEADER_LENGTH = 8;
const SOURCE_PORT_OFFSET = 0;
const DESTINATION_PORT_OFFSET = 2;
const LENGTH_OFFSET = 4;
const CHECKSUM_OFFSET = 6;
const NO_CHECKSUM = 0;

const MAX_PORT = 0xffff;
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = MAX_PORT - EPHEMERAL_FIRST + 1;
export const DEFAULT_UDP_QUEUE_LENGTH = 64;
/** Bytes held for a reader: a few maximum-size datagrams, not 64 of them (about 4 MiB). */
export const DEFAULT_UDP_QUEUE_BYTES = 256 * 1024;

export interface UdpMessage {
  /** A copy the app owns. */
  readonly data: Uint8Array;
  readonly address: Ipv4Address;
  readonly port: number;
}

export interface UdpBindOptions {
  /** Messages held for a reader before new ones are dropped. */
  queueLength?: number;
  /** Payload bytes held for a reader before new messages are dropped. */
  queueBytes?: number;
}

export class UdpSocket implements AsyncIterable<UdpMessage> {
  private readonly queue: UdpMessage[] = [];
  private readonly readers: ((result: IteratorResult<UdpMessage>) => void)[] = [];
  private handler: ((message: UdpMessage) => void) | null = null;
  private closed = false;
  private queuedBytes = 0;

  constructor(
    private readonly udp: Udp,
    readonly port: number,
    private readonly queueLength: number,
    private readonly queueBytes: number,
  ) {}

  send(destination: AddressLike, port: number, data: Uint8Array): SendStatus {
    if (this.closed) throw new NetError("closed", "send on a closed UDP socket");
    return this.udp.send(this.port, toAddress(destination), port, data);
  }

  /** Delivers every message to `handler` instead of queueing it; null to go back to queueing. */
  onMessage(handler: ((message: UdpMessage) => void) | null): void {
    this.handler = handler;
    if (handler === null) return;
    this.queuedBytes = 0;
    for (const message of this.queue.splice(0)) this.dispatch(message);
  }

  /** The next message; rejects with a "closed" NetError once the socket is closed. */
  async receive(): Promise<UdpMessage> {
    const result = await this.next();
    if (result.done) throw new NetError("closed", "UDP socket closed");
    return result.value;
  }

  [Symbol.asyncIterator](): AsyncIterator<UdpMessage> {
    return { next: () => this.next() };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.udp.release(this.port);
    this.queue.length = 0;
    this.queuedBytes = 0;
    for (const reader of this.readers.splice(0)) reader({ done: true, value: undefined });
  }

  /** Returns false when the message had to be dropped. */
  deliver(message: UdpMessage): boolean {
    if (this.handler !== null) {
      this.dispatch(message);
      return true;
    }
    const reader = this.readers.shift();
    if (reader !== undefined) {
      reader({ done: false, value: message });
      return true;
    }
    if (this.queue.length >= this.queueLength || this.queuedBytes + message.data.length > this.queueBytes) return false;
    this.queue.push(message);
    this.queuedBytes += message.data.length;
    return true;
  }

  private next(): Promise<IteratorResult<UdpMessage>> {
    const message = this.queue.shift();
    if (message !== undefined) {
      this.queuedBytes -= message.data.length;
      return Promise.resolve({ done: false, value: message });
    }
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => this.readers.push(resolve));
  }

  private dispatch(message: UdpMessage): void {
    try {
      this.handler?.(message);
    } catch (error) {
      reportCallbackError(error);
    }
  }
}

export class Udp {
  private readonly sockets = new Map<number, UdpSocket>();

  constructor(
    private readonly ipv4: Ipv4,
    private readonly icmp: Icmp,
    private readonly counters: NetCounters,
    private readonly random: RandomSource,
  ) {}

  /** Binds a port; 0 picks a free ephemeral one. Throws "addressInUse" if taken. */
  bind(port = 0, options: UdpBindOptions = {}): UdpSocket {
    if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) throw new NetError("badAddress", `bad UDP port ${port}`);
    const chosen = port === 0 ? this.freeEphemeralPort() : port;
    if (this.sockets.has(chosen)) throw new NetError("addressInUse", `UDP port ${chosen} is in use`);
    const socket = new UdpSocket(this, chosen, options.queueLength ?? DEFAULT_UDP_QUEUE_LENGTH, options.queueBytes ?? DEFAULT_UDP_QUEUE_BYTES);
    this.sockets.set(chosen, socket);
    return socket;
  }

  send(sourcePort: number, destination: Ipv4Address, destinationPort: number, data: Uint8Array): SendStatus {
    const length = UDP_HEADER_LENGTH + data.length;
    const frame = this.ipv4.allocate(length);
    const segment = frame.subarray(IPV4_PAYLOAD_OFFSET);
    write16(segment, SOURCE_PORT_OFFSET, sourcePort);
    write16(segment, DESTINATION_PORT_OFFSET, destinationPort);
    write16(segment, LENGTH_OFFSET, length);
    segment.set(data, UDP_HEADER_LENGTH);
    return this.ipv4.sendFrame(frame, destination, PROTOCOL_UDP, CHECKSUM_OFFSET);
  }

  release(port: number): void {
    this.sockets.delete(port);
  }

  receive(datagram: Ipv4Datagram): void {
    const { bytes, payloadOffset: offset } = datagram;
    if (datagram.payloadLength < UDP_HEADER_LENGTH) return this.counters.drop("udp.truncated");
    const length = read16(bytes, offset + LENGTH_OFFSET);
    if (length < UDP_HEADER_LENGTH || length > datagram.payloadLength) return this.counters.drop("udp.badLength");
    if (!datagram.checksumValidated && read16(bytes, offset + CHECKSUM_OFFSET) !== NO_CHECKSUM) {
      const pseudo = pseudoHeaderSum(datagram.source, datagram.destination, PROTOCOL_UDP, length);
      if (!checksumValid(bytes, offset, length, pseudo)) return this.counters.drop("udp.badChecksum");
    }
    const socket = this.sockets.get(read16(bytes, offset + DESTINATION_PORT_OFFSET));
    if (socket === undefined) {
      this.counters.drop("udp.portUnreachable");
      this.icmp.sendPortUnreachable(datagram);
      return;
    }
    const message: UdpMessage = {
      data: bytes.slice(offset + UDP_HEADER_LENGTH, offset + length),
      address: datagram.source,
      port: read16(bytes, offset + SOURCE_PORT_OFFSET),
    };
    if (!socket.deliver(message)) this.counters.drop("udp.queueFull");
  }

  private freeEphemeralPort(): number {
    const start = randomUint16(this.random) % EPHEMERAL_COUNT;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_FIRST + ((start + i) % EPHEMERAL_COUNT);
      if (!this.sockets.has(port)) return port;
    }
    throw new NetError("addressInUse", "no free ephemeral UDP port");
  }
}
