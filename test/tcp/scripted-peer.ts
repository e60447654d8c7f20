import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../../runtime/net/ethernet";
import { PROTOCOL_TCP } from "../../runtime/net/ipv4-header";
import type { RandomSource } from "../../runtime/net/scheduler";
import type { NetStack } from "../../runtime/net/stack";
import type { TcpOptions } from "../../runtime/net/tcp/config";
import type { Tcp } from "../../runtime/net/tcp/tcp";
import { host, staticConfig, type Host } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { arpPacket, decodeFrame, decodeIpv4, ethernet, ip, ipv4Packet } from "../net/packets";
import { mac } from "../net/sim-link";
import { decodeTcp, tcpSegment, type DecodedTcp, type TcpSpec } from "./segments";

export const US = ip("10.0.2.15");
export const PEER = ip("10.0.2.9");
export const PEER_PORT = 40000;

/** Random bytes that make every ISN the stack draws equal to `isn`. */
export function fixedIsn(isn: number): RandomSource {
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = (isn >>> (8 * (3 - (i % 4)))) & 0xff;
  };
}

/**
 * One stack with TCP, facing a peer the test plays by hand: it injects crafted segments and
 * reads back what the stack transmitted.
 */
export class ScriptedPeer {
  readonly scheduler = new ManualScheduler();
  readonly host: Host;
  readonly stack: NetStack;
  readonly tcp: Tcp;

  constructor(options: Partial<TcpOptions> = {}, random?: RandomSource) {
    this.host = host(this.scheduler, 0x15, { tcp: options, random: random ?? fixedIsn(1000) });
    this.stack = this.host.stack;
    this.tcp = this.stack.tcp;
    this.host.stack.configureStatic(staticConfig("10.0.2.15"));
    this.announce();
  }

  /** Teaches the stack the peer's MAC (again, once its ARP entry expired) so that replies leave at once. */
  announce(): void {
    this.host.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_ARP, arpPacket(2, mac(9), PEER, mac(0x15), US)));
    this.host.link.takeSent();
  }

  /** Injects a segment from the peer; ports default to PEER_PORT -> 80. */
  send(spec: Partial<TcpSpec> & Pick<TcpSpec, "seq" | "flags">, checksumValidated = false): void {
    const segment = tcpSegment(PEER, US, { sourcePort: PEER_PORT, destinationPort: 80, ...spec });
    this.injectIp(segment, checksumValidated);
  }

  injectIp(payload: Uint8Array, checksumValidated = false): void {
    this.host.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_IPV4, ipv4Packet({ source: PEER, destination: US, protocol: PROTOCOL_TCP, payload })), { checksumValidated });
  }

  /** TCP segments the stack sent since the last call. */
  take(): DecodedTcp[] {
    return this.host.link
      .takeSent()
      .map((sent) => decodeIpv4(decodeFrame(sent.frame).payload))
      .filter((packet) => packet.protocol === PROTOCOL_TCP)
      .map((packet) => decodeTcp(packet.source, packet.destination, packet.payload));
  }

  /** Lets promise jobs (and output deferred to them) run without moving the clock. */
  settle(): Promise<void> {
    return this.scheduler.advance(0);
  }
}
