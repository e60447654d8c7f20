/** The network stack's public surface: drivers implement NetLink, apps and TCP use NetStack. */
export { formatIpv4, formatMac, parseIpv4, toAddress, type AddressLike, type Ipv4Address } from "./address";
export { parseNetCommandLine, type NetBootConfig } from "./command-line";
export type { InterfaceConfig } from "./config";
export { DROP_REASONS, NetCounters, TcpCounters, type DropReason } from "./counters";
export { NetError, type NetErrorCode } from "./errors";
export type { SendStatus } from "./ethernet";
export type { PingOptions } from "./icmp";
export { IPV4_PAYLOAD_OFFSET, NO_CHECKSUM, type Ipv4Datagram, type ProtocolHandler } from "./ipv4";
export { PROTOCOL_ICMP, PROTOCOL_TCP, PROTOCOL_UDP } from "./ipv4-header";
export type { ChecksumOffload, FrameHandler, NetLink, RxInfo } from "../../drivers/net-link";
export type { RandomSource, Scheduler, TimerHandle } from "./scheduler";
export { NetStack, type ConfigListener, type NetStackOptions } from "./stack";
export {
  DEFAULT_KEEP_ALIVE,
  DEFAULT_TCP_OPTIONS,
  Tcp,
  TcpConnection,
  TcpListener,
  type KeepAliveOptions,
  type ListenOptions,
  type TcpOptions,
  type TcpState,
} from "./tcp/index";
export type { UdpBindOptions, UdpMessage, UdpSocket } from "./udp";
