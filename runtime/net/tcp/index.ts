/** TCP's public surface for apps and image authors. */
export { DEFAULT_KEEP_ALIVE, DEFAULT_TCP_OPTIONS, type KeepAliveOptions, type SynCookieMode, type TcpOptions } from "./config";
export { TcpConnection } from "./connection";
export { TcpListener, type ListenOptions } from "./listener";
export type { TcpState } from "./state";
export { Tcp, type TcpDependencies } from "./tcp";
