import { NetStack } from "../../runtime/net/stack";
import type { TcpOptions } from "../../runtime/net/tcp/config";
import type { Tcp } from "../../runtime/net/tcp/tcp";
import { staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { seededRandom } from "../net/seeded-random";
import { mac } from "../net/sim-link";
import { LossyLink } from "./lossy-link";

export interface TcpHost {
  readonly stack: NetStack;
  readonly link: LossyLink;
  readonly tcp: Tcp;
}

/** Two TCP hosts back to back: client 10.0.2.15, server 10.0.2.2. */
export function tcpPair(options: Partial<TcpOptions> = {}, serverOptions: Partial<TcpOptions> = options) {
  const scheduler = new ManualScheduler();
  const make = (last: number, address: string, tcpOptions: Partial<TcpOptions>): TcpHost => {
    const link = new LossyLink(mac(last), scheduler);
    const random = seededRandom(last);
    const stack = new NetStack({ link, scheduler, random, tcp: tcpOptions });
    stack.configureStatic(staticConfig(address));
    return { stack, link, tcp: stack.tcp };
  };
  const client = make(0x15, "10.0.2.15", options);
  const server = make(0x02, "10.0.2.2", serverOptions);
  LossyLink.connect(client.link, server.link);
  /** Advances the clock in small steps until `done` holds (or the budget runs out). */
  const runUntil = async (done: () => boolean, budgetMs = 60_000, stepMs = 1): Promise<void> => {
    for (let spent = 0; !done() && spent < budgetMs; spent += stepMs) await scheduler.advance(stepMs);
  };
  return { scheduler, client, server, runUntil };
}
