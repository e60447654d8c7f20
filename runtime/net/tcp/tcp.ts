import { parseIpv4, toAddress, type AddressLike, type Ipv4Address } from "../address";
import type { NetCounters } from "../counters";
import { NetError } from "../errors";
import { IPV4_PAYLOAD_OFFSET, type Ipv4Datagram } from "../ipv4";
import { PROTOCOL_TCP } from "../ipv4-header";
import { randomUint16, randomUint32, type RandomSource, type Scheduler } from "../scheduler";
import type { NetStack } from "../stack";
import { DEFAULT_TCP_OPTIONS, type TcpOptions } from "./config";
import { TcpConnection } from "./connection";
import type { ConnectionHost, Endpoints } from "./connection-host";
import { CHECKSUM_OFFSET, DEFAULT_PEER_MSS, FLAG_ACK, FLAG_RST, FLAG_SYN, MAX_PORT, MAX_WINDOW_FIELD, TCP_HEADER_LENGTH } from "./header";
import { TcpListener, type ListenOptions } from "./listener";
import { OPTION_ABSENT, ParsedSegment, parseSegment, segmentHeaderLength, writeSegmentHeader, type OutgoingSegment } from "./segment";
import { seqAdd } from "./seq";
import { cookieStep, STEPS_ACCEPTED, SynCookies } from "./syn-cookies";
import type { Mutable } from "../mutable";

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = MAX_PORT - EPHEMERAL_FIRST + 1;
/** Remote address and port as one exact number: 48 bits above a 2^52 offset (see `remoteKey`). */
const PORT_RANGE = MAX_PORT + 1;
const KEY_OFFSET = 2 ** 52;

export interface TcpDependencies {
  readonly stack: NetStack;
  readonly scheduler: Scheduler;
  readonly random: RandomSource;
}

interface PendingOpen {
  readonly listener: TcpListener | null;
  /** Counts against the half-open limits (a passive open from a SYN, not from a cookie). */
  readonly halfOpen: boolean;
  readonly resolve: (connection: TcpConnection) => void;
  readonly reject: (error: NetError) => void;
}

/**
 * TCP for one NetStack (which creates it as `stack.tcp`): demultiplexing, listeners, connect(),
 * resets for closed ports, limits. Its counters and drops are part of the stack's.
 */
export class Tcp implements ConnectionHost {
  readonly counters: NetCounters;
  readonly options: TcpOptions;
  readonly scheduler: Scheduler;
  private readonly stack: NetStack;
  private readonly random: RandomSource;
  private readonly listeners = new Map<number, TcpListener>();
  /** Local port, then remote address and port. */
  private readonly table = new Map<number, Map<number, TcpConnection>>();
  private readonly opening = new Map<TcpConnection, PendingOpen>();
  /** In the order they entered TIME_WAIT, oldest first. */
  private readonly timeWait = new Set<TcpConnection>();
  private handshakeCount = 0;
  private readonly segment = new ParsedSegment();
  private readonly cookies: SynCookies;
  /** Reused for every cookie made or checked: a flood of SYNs or ACKs allocates no records. */
  private readonly cookieReply: Mutable<OutgoingSegment>;
  private readonly cookieTuple: Mutable<Endpoints> = { localAddress: 0, localPort: 0, remoteAddress: 0, remotePort: 0 };

  constructor(dependencies: TcpDependencies, options: Partial<TcpOptions> = {}) {
    this.stack = dependencies.stack;
    this.scheduler = dependencies.scheduler;
    this.random = dependencies.random;
    this.counters = this.stack.counters;
    this.options = { ...DEFAULT_TCP_OPTIONS, ...options };
    this.cookies = new SynCookies(this.random);
    this.cookieReply = { sourcePort: 0, destinationPort: 0, seq: 0, ack: 0, flags: FLAG_SYN | FLAG_ACK, window: 0, mss: OPTION_ABSENT, windowScale: OPTION_ABSENT };
    this.stack.registerProtocol(PROTOCOL_TCP, (datagram) => this.receive(datagram));
  }

  get ourMss(): number {
    return this.stack.maxUnfragmentedPayload - TCP_HEADER_LENGTH;
  }

  get maxSegmentedPayload(): number {
    const payload = this.stack.maxSegmentedPayload;
    return payload > 0 ? payload - TCP_HEADER_LENGTH : 0;
  }

  /** Connections in any state but CLOSED, TIME_WAIT included. */
  get connections(): number {
    return this.counters.tcp.connections;
  }

  /** What counts against maxConnections: every connection not in TIME_WAIT. */
  private get liveConnections(): number {
    return this.counters.tcp.connections - this.timeWait.size;
  }

  /** Handshakes in SYN_RECEIVED across all listeners. */
  get pendingHandshakes(): number {
    return this.handshakeCount;
  }

  listen(port: number, onConnection: (connection: TcpConnection) => void, options: ListenOptions = {}): TcpListener {
    if (!Number.isInteger(port) || port <= 0 || port > MAX_PORT) throw new NetError("badAddress", `bad TCP port ${port}`);
    if (this.listeners.has(port)) throw new NetError("addressInUse", `TCP port ${port} is already listening`);
    const listener = new TcpListener(port, options.backlog ?? this.options.defaultBacklog, onConnection, (closed) => this.listeners.delete(closed.port));
    this.listeners.set(port, listener);
    return listener;
  }

  /** Active open to an address or a name (resolved through DNS). */
  async connect(host: AddressLike, port: number): Promise<TcpConnection> {
    const remoteAddress = typeof host === "string" && parseIpv4(host) === null ? await this.resolve(host) : toAddress(host);
    if (this.liveConnections >= this.options.maxConnections) throw new NetError("limit", "too many TCP connections");
    const localAddress = this.stack.config.address;
    const connection = new TcpConnection(this, { localAddress, localPort: this.freeEphemeralPort(), remoteAddress, remotePort: port }, randomUint32(this.random), "SYN_SENT");
    const opened = new Promise<TcpConnection>((resolve, reject) => this.opening.set(connection, { listener: null, halfOpen: false, resolve, reject }));
    this.add(connection);
    this.counters.tcp.activeOpens++;
    connection.open();
    return opened;
  }

  segmentFrame(fields: OutgoingSegment, payloadLength: number): Uint8Array {
    const frame = this.stack.ipAllocate(segmentHeaderLength(fields) + payloadLength);
    writeSegmentHeader(frame, IPV4_PAYLOAD_OFFSET, fields);
    return frame;
  }

  segmentedFrame(fields: OutgoingSegment, payloadLength: number): Uint8Array | undefined {
    const frame = this.stack.ipAllocateSegmented(segmentHeaderLength(fields) + payloadLength);
    if (frame !== undefined) writeSegmentHeader(frame, IPV4_PAYLOAD_OFFSET, fields);
    return frame;
  }

  transmit(destination: Ipv4Address, frame: Uint8Array, payloadLength = 0, payloadSum = 0, segmentSize = 0): void {
    const headerLength = frame.length - IPV4_PAYLOAD_OFFSET - payloadLength;
    this.stack.ipSendFrame(frame, destination, PROTOCOL_TCP, CHECKSUM_OFFSET, payloadLength, payloadSum, segmentSize, headerLength);
    this.counters.tcp.segmentsOut++;
  }

  established(connection: TcpConnection): void {
    const pending = this.opening.get(connection);
    if (pending === undefined) return;
    this.opening.delete(connection);
    if (pending.listener === null) return pending.resolve(connection);
    if (pending.halfOpen) {
      pending.listener.pendingHandshakes--;
      this.handshakeCount--;
    }
    this.counters.tcp.passiveOpens++;
    pending.listener.deliver(connection);
  }

  enteredTimeWait(connection: TcpConnection): void {
    this.timeWait.add(connection);
    if (this.timeWait.size > this.options.maxTimeWait) {
      const [oldest] = this.timeWait;
      this.counters.tcp.timeWaitRecycled++;
      oldest.abort();
    }
    this.counters.tcp.timeWait = this.timeWait.size;
  }

  released(connection: TcpConnection, error: NetError | null): void {
    if (this.timeWait.delete(connection)) this.counters.tcp.timeWait = this.timeWait.size;
    const byRemote = this.table.get(connection.localPort);
    if (byRemote?.get(remoteKey(connection.remoteAddress, connection.remotePort)) !== connection) return;
    byRemote.delete(remoteKey(connection.remoteAddress, connection.remotePort));
    if (byRemote.size === 0) this.table.delete(connection.localPort);
    this.counters.tcp.connections--;
    const pending = this.opening.get(connection);
    if (pending === undefined) return;
    this.opening.delete(connection);
    if (pending.listener === null) pending.reject(error ?? new NetError("closed", "connection closed before it opened"));
    else if (pending.halfOpen) {
      pending.listener.pendingHandshakes--;
      this.handshakeCount--;
    }
  }

  receive(datagram: Ipv4Datagram): void {
    this.counters.tcp.segmentsIn++;
    if (datagram.broadcast) return this.counters.drop("tcp.badAddress");
    const segment = this.segment;
    const problem = parseSegment(datagram, segment);
    if (problem !== null) return this.counters.drop(problem);
    const connection = this.table.get(segment.destinationPort)?.get(remoteKey(datagram.source, segment.sourcePort));
    const opening = (segment.flags & (FLAG_SYN | FLAG_ACK | FLAG_RST)) === FLAG_SYN;
    if (connection !== undefined) {
      // RFC 9293 3.10.7.4: a new SYN beyond what the old incarnation used may end TIME_WAIT.
      if (!(opening && connection.acceptsNewIncarnation(segment) && this.listeners.has(segment.destinationPort))) return connection.receive(segment);
      connection.abort();
    }
    const listener = this.listeners.get(segment.destinationPort);
    if (listener !== undefined && opening) return this.accept(listener, datagram, segment);
    if (listener !== undefined && (segment.flags & (FLAG_SYN | FLAG_ACK | FLAG_RST)) === FLAG_ACK && this.cookiesOut(listener)) {
      if (this.acceptCookie(listener, datagram, segment)) return;
      this.counters.tcp.syncookiesFailed++;
    }
    this.counters.drop("tcp.noConnection");
    // A listener ignores stray segments without ACK; a closed port answers everything but RST.
    if (listener === undefined || segment.has(FLAG_ACK)) this.refuse(datagram, segment);
  }

  private accept(listener: TcpListener, datagram: Ipv4Datagram, segment: ParsedSegment): void {
    const tableFull = this.pendingHandshakes >= this.options.maxPendingHandshakes;
    const backlogFull = listener.pendingHandshakes >= listener.backlog;
    const mode = this.options.synCookies;
    if (mode === "always" || (mode === "when-full" && (tableFull || backlogFull))) return this.sendCookie(listener, datagram, segment);
    if (tableFull) return this.counters.drop("tcp.synFlood");
    if (backlogFull) return this.counters.drop("tcp.backlogFull");
    if (this.liveConnections >= this.options.maxConnections) return this.counters.drop("tcp.connectionLimit");
    const connection = new TcpConnection(this, endpointsOf(listener, datagram, segment), randomUint32(this.random), "SYN_RECEIVED");
    this.opening.set(connection, { listener, halfOpen: true, resolve: () => undefined, reject: () => undefined });
    listener.pendingHandshakes++;
    this.handshakeCount++;
    this.add(connection);
    connection.acceptSyn(segment);
  }

  /** Answers a SYN with a SYN-ACK whose ISS is a cookie, keeping no state (see syn-cookies.ts). */
  private sendCookie(listener: TcpListener, datagram: Ipv4Datagram, segment: ParsedSegment): void {
    // The ACK could not be given a connection: a cookie would only make the peer wait.
    if (this.liveConnections >= this.options.maxConnections) return this.counters.drop("tcp.connectionLimit");
    const step = cookieStep(this.scheduler.now());
    const announced = segment.mss === OPTION_ABSENT ? DEFAULT_PEER_MSS : segment.mss;
    const reply = this.cookieReply;
    reply.sourcePort = listener.port;
    reply.destinationPort = segment.sourcePort;
    reply.seq = this.cookies.make(this.tupleOf(listener, datagram, segment), segment.seq, Math.min(announced, this.ourMss), step);
    reply.ack = seqAdd(segment.seq, 1);
    // Unscaled, as the window of every SYN is; without scaling it stays so for the connection.
    reply.window = Math.min(this.options.receiveBufferBytes, MAX_WINDOW_FIELD);
    reply.mss = this.ourMss;
    this.transmit(datagram.source, this.segmentFrame(reply, 0));
    listener.lastCookieStep = step;
    this.counters.tcp.syncookiesSent++;
  }

  /**
   * Whether `listener` sent a cookie recently enough for one to be valid (this step or the one
   * before): only then is a stray ACK checked, as it cannot hold a valid cookie otherwise.
   */
  private cookiesOut(listener: TcpListener): boolean {
    return cookieStep(this.scheduler.now()) - listener.lastCookieStep < STEPS_ACCEPTED;
  }

  /**
   * A stray ACK to a listener: if ack - 1 is a valid cookie for its 4-tuple and seq - 1, opens
   * the connection in ESTABLISHED (returns true even when maxConnections drops it, since the
   * cookie was good); false when the cookie is not valid.
   */
  private acceptCookie(listener: TcpListener, datagram: Ipv4Datagram, segment: ParsedSegment): boolean {
    const iss = seqAdd(segment.ack, -1);
    const mss = this.cookies.check(this.tupleOf(listener, datagram, segment), seqAdd(segment.seq, -1), iss, cookieStep(this.scheduler.now()));
    if (mss === null) return false;
    this.counters.tcp.syncookiesValidated++;
    // There is no accept queue (a listener hands each connection over at once), so what bounds
    // connections opened this way is the connection limit; the peer's retransmission tries again.
    if (this.liveConnections >= this.options.maxConnections) {
      this.counters.drop("tcp.connectionLimit");
      return true;
    }
    const connection = new TcpConnection(this, endpointsOf(listener, datagram, segment), iss, "SYN_RECEIVED");
    this.opening.set(connection, { listener, halfOpen: false, resolve: () => undefined, reject: () => undefined });
    this.add(connection);
    connection.acceptCookie(segment, Math.min(mss, this.ourMss));
    return true;
  }

  /** RFC 9293 3.10.7.1: the RST for a segment that belongs to no connection. */
  private refuse(datagram: Ipv4Datagram, segment: ParsedSegment): void {
    if (segment.has(FLAG_RST)) return;
    const acking = segment.has(FLAG_ACK);
    const reply = this.segmentFrame(
      {
        sourcePort: segment.destinationPort,
        destinationPort: segment.sourcePort,
        seq: acking ? segment.ack : 0,
        ack: acking ? 0 : seqAdd(segment.seq, segment.seqLength),
        flags: acking ? FLAG_RST : FLAG_RST | FLAG_ACK,
        window: 0,
        mss: OPTION_ABSENT,
        windowScale: OPTION_ABSENT,
      },
      0,
    );
    this.transmit(datagram.source, reply);
    this.counters.tcp.resetsOut++;
  }

  /** The 4-tuple for a cookie, in the reused record. */
  private tupleOf(listener: TcpListener, datagram: Ipv4Datagram, segment: ParsedSegment): Endpoints {
    const tuple = this.cookieTuple;
    tuple.localAddress = datagram.destination;
    tuple.localPort = listener.port;
    tuple.remoteAddress = datagram.source;
    tuple.remotePort = segment.sourcePort;
    return tuple;
  }

  private add(connection: TcpConnection): void {
    let byRemote = this.table.get(connection.localPort);
    if (byRemote === undefined) this.table.set(connection.localPort, (byRemote = new Map()));
    byRemote.set(remoteKey(connection.remoteAddress, connection.remotePort), connection);
    this.counters.tcp.connections++;
  }

  private async resolve(name: string): Promise<Ipv4Address> {
    const [address] = await this.stack.resolve(name);
    if (address === undefined) throw new NetError("unreachable", `no address for ${name}`);
    return address;
  }

  private freeEphemeralPort(): number {
    const start = randomUint16(this.random) % EPHEMERAL_COUNT;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_FIRST + ((start + i) % EPHEMERAL_COUNT);
      if (!this.table.has(port) && !this.listeners.has(port)) return port;
    }
    throw new NetError("addressInUse", "no free ephemeral TCP port");
  }
}

/** The 4-tuple of a connection a listener would open for `segment`. */
function endpointsOf(listener: TcpListener, datagram: Ipv4Datagram, segment: ParsedSegment): Endpoints {
  return { localAddress: datagram.destination, localPort: listener.port, remoteAddress: datagram.source, remotePort: segment.sourcePort };
}

/**
 * The connection table's key for a remote endpoint. The engine's Map hashes a non-integer-tagged
 * number by XOR-ing the two 32-bit halves of its float64 bits and picks the bucket from the low bits
 * of that. A plain `address * 65536 + port` (about 2^43) has its port in mantissa bits 9-24 and
 * zeros below, so every connection from one address fell into one bucket and each lookup scanned
 * them all (TIME_WAIT included). Offset by 2^52, the integer sits in the mantissa unshifted: the
 * port is in the low 16 bits, which pick the bucket.
 */
function remoteKey(address: Ipv4Address, port: number): number {
  return KEY_OFFSET + address * PORT_RANGE + port;
}
