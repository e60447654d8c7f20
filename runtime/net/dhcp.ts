import { LIMITED_BROADCAST, UNSPECIFIED_ADDRESS, type Ipv4Address } from "./address";
import type { InterfaceConfig } from "./config";
import type { NetCounters } from "./counters";
import {
  DHCPACK,
  DHCPDISCOVER,
  DHCPNAK,
  DHCPOFFER,
  DHCPREQUEST,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  encodeDhcpRequest,
  isForClient,
  parseDhcpReply,
  type DhcpReply,
} from "./dhcp-message";
import { NetError } from "./errors";
import { randomUint32, type RandomSource, type Scheduler, type TimerHandle } from "./scheduler";
import type { Udp, UdpMessage, UdpSocket } from "./udp";

export type DhcpState = "stopped" | "selecting" | "requesting" | "bound" | "renewing" | "rebinding";

export interface DhcpOptions {
  initialRetryMs: number;
  maxRetryMs: number;
  /** DISCOVERs sent before start() gives up; the client itself keeps trying until stopped. */
  maxDiscoverAttempts: number;
  maxRequestAttempts: number;
}

export const DEFAULT_DHCP_OPTIONS: DhcpOptions = { initialRetryMs: 4000, maxRetryMs: 64_000, maxDiscoverAttempts: 5, maxRequestAttempts: 4 };

/** RFC 2131 4.4.5: renewal retransmissions wait at least this long. */
const MIN_RENEWAL_RETRY_MS = 60_000;
const MS_PER_SECOND = 1000;
const INFINITE_LEASE = 0xffffffff;
const HOST_NETMASK = 0xffffffff;
const RENEWAL_FRACTION = 0.5;
const REBINDING_FRACTION = 0.875;

export interface DhcpClientDeps {
  readonly udp: Udp;
  readonly scheduler: Scheduler;
  readonly random: RandomSource;
  readonly mac: Uint8Array;
  readonly counters: NetCounters;
  /** Called with each new or renewed lease's configuration, and null when the lease is lost. */
  readonly onLease: (config: InterfaceConfig | null) => void;
}

export class DhcpClient {
  private stateValue: DhcpState = "stopped";
  private socket: UdpSocket | null = null;
  private xid = 0;
  private attempts = 0;
  /** DISCOVERs sent while start() waits, across rounds (a server that offers and then refuses starts one each time). */
  private discovers = 0;
  private offered = UNSPECIFIED_ADDRESS;
  private serverId = UNSPECIFIED_ADDRESS;
  private leased = UNSPECIFIED_ADDRESS;
  private retryTimer: TimerHandle = undefined;
  private leaseTimer: TimerHandle = undefined;
  private firstLease: { resolve: (config: InterfaceConfig) => void; reject: (error: NetError) => void } | null = null;

  constructor(
    private readonly deps: DhcpClientDeps,
    private readonly options: DhcpOptions = DEFAULT_DHCP_OPTIONS,
  ) {}

  get state(): DhcpState {
    return this.stateValue;
  }

  /** Starts acquiring a lease; resolves with the first one, rejects with "timeout" if discovery finds none. */
  start(): Promise<InterfaceConfig> {
    if (this.socket === null) {
      this.socket = this.deps.udp.bind(DHCP_CLIENT_PORT);
      this.socket.onMessage((message) => this.receive(message));
      this.discovers = 0;
      this.discover();
    }
    return new Promise((resolve, reject) => {
      this.firstLease = { resolve, reject };
    });
  }

  stop(): void {
    this.clearTimers();
    this.socket?.close();
    this.socket = null;
    this.stateValue = "stopped";
    this.firstLease?.reject(new NetError("closed", "DHCP client stopped"));
    this.firstLease = null;
  }

  private discover(): void {
    this.clearTimers();
    this.stateValue = "selecting";
    this.xid = randomUint32(this.deps.random);
    this.attempts = 0;
    this.sendDiscover();
  }

  private sendDiscover(): void {
    this.attempts++;
    if (++this.discovers > this.options.maxDiscoverAttempts && this.firstLease !== null) {
      this.firstLease.reject(new NetError("timeout", "no DHCP offer"));
      this.firstLease = null;
    }
    this.send(LIMITED_BROADCAST, { messageType: DHCPDISCOVER, clientAddress: UNSPECIFIED_ADDRESS, broadcast: true });
    this.retryTimer = this.deps.scheduler.setTimer(this.backoff(), () => this.sendDiscover());
  }

  private sendSelectingRequest(): void {
    if (++this.attempts > this.options.maxRequestAttempts) return this.discover();
    this.send(LIMITED_BROADCAST, {
      messageType: DHCPREQUEST,
      clientAddress: UNSPECIFIED_ADDRESS,
      broadcast: true,
      requestedAddress: this.offered,
      serverId: this.serverId,
    });
    this.retryTimer = this.deps.scheduler.setTimer(this.backoff(), () => this.sendSelectingRequest());
  }

  /** Renewing asks the leasing server directly, rebinding asks any server; both retry until the next phase. */
  private sendLeaseRequest(phaseEndsAt: number): void {
    const destination = this.stateValue === "renewing" ? this.serverId : LIMITED_BROADCAST;
    this.send(destination, { messageType: DHCPREQUEST, clientAddress: this.leased, broadcast: false });
    const delay = Math.max((phaseEndsAt - this.deps.scheduler.now()) / 2, MIN_RENEWAL_RETRY_MS);
    this.retryTimer = this.deps.scheduler.setTimer(delay, () => this.sendLeaseRequest(phaseEndsAt));
  }

  private receive(message: UdpMessage): void {
    if (message.port !== DHCP_SERVER_PORT) return;
    const reply = parseDhcpReply(message.data);
    if (reply === null) return this.deps.counters.drop("dhcp.malformed");
    if (!isForClient(reply, this.xid, this.deps.mac)) return;
    switch (this.stateValue) {
      case "selecting":
        if (reply.messageType !== DHCPOFFER || reply.serverId === null || reply.yourAddress === UNSPECIFIED_ADDRESS) return;
        this.clearTimers();
        this.stateValue = "requesting";
        this.offered = reply.yourAddress;
        this.serverId = reply.serverId;
        this.attempts = 0;
        return this.sendSelectingRequest();
      case "requesting":
      case "renewing":
      case "rebinding":
        if (reply.messageType === DHCPACK) return this.bind(reply);
        if (reply.messageType === DHCPNAK) return this.loseLease(this.options.initialRetryMs);
        return;
      default:
        return;
    }
  }

  private bind(ack: DhcpReply): void {
    if (ack.leaseSeconds === null || ack.yourAddress === UNSPECIFIED_ADDRESS) return this.deps.counters.drop("dhcp.malformed");
    this.clearTimers();
    this.stateValue = "bound";
    this.leased = ack.yourAddress;
    if (ack.serverId !== null) this.serverId = ack.serverId;
    const config: InterfaceConfig = {
      address: ack.yourAddress,
      netmask: ack.subnetMask ?? HOST_NETMASK,
      gateway: ack.routers[0] ?? UNSPECIFIED_ADDRESS,
      dnsServers: ack.dnsServers,
    };
    this.deps.onLease(config);
    this.firstLease?.resolve(config);
    this.firstLease = null;
    if (ack.leaseSeconds !== INFINITE_LEASE) this.scheduleLease(ack);
  }

  private scheduleLease(ack: DhcpReply): void {
    const lease = ack.leaseSeconds ?? INFINITE_LEASE;
    let rebinding = ack.rebindingSeconds ?? lease * REBINDING_FRACTION;
    if (rebinding >= lease) rebinding = lease * REBINDING_FRACTION;
    let renewal = ack.renewalSeconds ?? lease * RENEWAL_FRACTION;
    if (renewal >= rebinding) renewal = lease * RENEWAL_FRACTION;
    const now = this.deps.scheduler.now();
    const renewAt = now + renewal * MS_PER_SECOND;
    const rebindAt = now + rebinding * MS_PER_SECOND;
    const expireAt = now + lease * MS_PER_SECOND;
    this.leaseTimer = this.deps.scheduler.setTimer(renewAt - now, () => {
      this.enterPhase("renewing", rebindAt);
      this.leaseTimer = this.deps.scheduler.setTimer(rebindAt - renewAt, () => {
        this.enterPhase("rebinding", expireAt);
        this.leaseTimer = this.deps.scheduler.setTimer(expireAt - rebindAt, () => this.loseLease(0));
      });
    });
  }

  private enterPhase(state: "renewing" | "rebinding", phaseEndsAt: number): void {
    this.deps.scheduler.clearTimer(this.retryTimer);
    this.stateValue = state;
    this.xid = randomUint32(this.deps.random);
    this.sendLeaseRequest(phaseEndsAt);
  }

  /** A pause before discovering again keeps a server that always refuses from causing a packet storm. */
  private loseLease(restartDelayMs: number): void {
    this.clearTimers();
    this.stateValue = "selecting";
    if (this.leased !== UNSPECIFIED_ADDRESS) {
      this.leased = UNSPECIFIED_ADDRESS;
      this.deps.onLease(null);
    }
    this.retryTimer = this.deps.scheduler.setTimer(restartDelayMs, () => this.discover());
  }

  private send(
    destination: Ipv4Address,
    fields: { messageType: number; clientAddress: Ipv4Address; broadcast: boolean; requestedAddress?: Ipv4Address; serverId?: Ipv4Address },
  ): void {
    const message = encodeDhcpRequest({ ...fields, xid: this.xid, clientMac: this.deps.mac });
    this.socket?.send(destination, DHCP_SERVER_PORT, message);
  }

  private backoff(): number {
    return Math.min(this.options.initialRetryMs * 2 ** (this.attempts - 1), this.options.maxRetryMs);
  }

  private clearTimers(): void {
    this.deps.scheduler.clearTimer(this.retryTimer);
    this.deps.scheduler.clearTimer(this.leaseTimer);
  }
}
