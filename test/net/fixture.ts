import type { RandomSource } from "../../runtime/net/scheduler";
import { NetStack, type NetStackOptions } from "../../runtime/net/stack";
import type { InterfaceConfig } from "../../runtime/net/config";
import { ManualScheduler } from "./manual-scheduler";
import { ip } from "./packets";
import { seededRandom } from "./seeded-random";
import { SimLink, mac } from "./sim-link";

export interface Host {
  readonly stack: NetStack;
  readonly link: SimLink;
}

export type ExtraOptions = Omit<NetStackOptions, "link" | "scheduler" | "random"> & { readonly random?: RandomSource };

export function host(scheduler: ManualScheduler, macLast: number, options: ExtraOptions = {}, mtu?: number): Host {
  const link = new SimLink(mac(macLast), scheduler, mtu);
  const stack = new NetStack({ link, scheduler, random: seededRandom(macLast), ...options });
  return { stack, link };
}

export function staticConfig(address: string, gateway = "10.0.2.2", dns: string[] = []): InterfaceConfig {
  return { address: ip(address), netmask: ip("255.255.255.0"), gateway: ip(gateway), dnsServers: dns.map(ip) };
}

/** Two hosts on one wire: a = 10.0.2.15, b = 10.0.2.2. */
export function backToBack(options: ExtraOptions = {}, mtu?: number): { scheduler: ManualScheduler; a: Host; b: Host } {
  const scheduler = new ManualScheduler();
  const a = host(scheduler, 0x15, options, mtu);
  const b = host(scheduler, 0x02, options, mtu);
  SimLink.connect(a.link, b.link);
  a.stack.configureStatic(staticConfig("10.0.2.15"));
  b.stack.configureStatic(staticConfig("10.0.2.2"));
  return { scheduler, a, b };
}
