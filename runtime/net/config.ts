import type { Ipv4Address } from "./address";

export interface InterfaceConfig {
  readonly address: Ipv4Address;
  readonly netmask: Ipv4Address;
  /** 0: no default route. */
  readonly gateway: Ipv4Address;
  readonly dnsServers: readonly Ipv4Address[];
}

export const UNCONFIGURED: InterfaceConfig = { address: 0, netmask: 0, gateway: 0, dnsServers: [] };

/** Where layers read the interface's current configuration. */
export interface ConfigSource {
  readonly config: InterfaceConfig;
}
