import { describe, expect, it } from "vitest";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../../runtime/net/ethernet";
import { NetError } from "../../runtime/net/errors";
import { PROTOCOL_ICMP, PROTOCOL_UDP } from "../../runtime/net/ipv4-header";
import { backToBack, host, staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { arpPacket, decodeFrame, decodeIpv4, ethernet, icmpMessage, ip, ipv4Packet, onesComplement, udpSegment } from "../net/packets";
import { mac } from "../net/sim-link";

const US = ip("10.0.2.15");
const PEER = ip("10.0.2.9");

function setup(options = {}) {
  const scheduler = new ManualScheduler();
  const h = host(scheduler, 0x15, options);
  h.stack.configureStatic(staticConfig("10.0.2.15"));
  // Teach the stack the peer's MAC so replies go out at once.
  h.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_ARP, arpPacket(2, mac(9), PEER, mac(0x15), US)));
  h.link.takeSent();
  const injectIp = (protocol: number, payload: Uint8Array, destination = US): void =>
    h.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_IPV4, ipv4Packet({ source: PEER, destination, protocol, payload })));
  const sentIcmp = () => h.link.takeSent().map((s) => decodeIpv4(decodeFrame(s.frame).payload));
  return { scheduler, h, injectIp, sentIcmp };
}

describe("icmp", () => {
  it("pings between two stacks and reports the round trip time", async () => {
    const { scheduler, a, b } = backToBack();
    await scheduler.advance(0);
    a.link.latencyMs = b.link.latencyMs = 3;
    // The first ping also waits for ARP: request and reply add one round trip.
    const first = a.stack.ping("10.0.2.2", { size: 100 });
    await scheduler.advance(20);
    await expect(first).resolves.toBe(12);
    const second = a.stack.ping(ip("10.0.2.2"));
    await scheduler.advance(20);
    await expect(second).resolves.toBe(6);
  });

  it("times out a ping nobody answers", async () => {
    const { scheduler, h } = setup();
    const result = h.stack.ping(PEER, { timeoutMs: 500 }).catch((error: unknown) => error);
    await scheduler.advance(500);
    const error = await result;
    expect(error).toBeInstanceOf(NetError);
    expect((error as NetError).code).toBe("timeout");
  });

  it("answers echo requests with the same identifier, sequence and data", () => {
    const { injectIp, sentIcmp } = setup();
    injectIp(PROTOCOL_ICMP, icmpMessage(8, 0, [0x12, 0x34, 0, 7], new Uint8Array([9, 8, 7])));
    const [reply] = sentIcmp();
    expect(reply).toMatchObject({ source: US, destination: PEER, protocol: PROTOCOL_ICMP });
    expect(Array.from(reply.payload)).toEqual([0, 0, ...reply.payload.slice(2, 4), 0x12, 0x34, 0, 7, 9, 8, 7]);
    expect(onesComplement(reply.payload)).toBe(0);
  });

  it("drops truncated messages and bad checksums, and ignores broadcast echo", () => {
    const { h, injectIp, sentIcmp } = setup();
    injectIp(PROTOCOL_ICMP, icmpMessage(8, 0, [0, 1, 0, 1], new Uint8Array(4), true));
    injectIp(PROTOCOL_ICMP, new Uint8Array([8, 0, 0xf7, 0xff, 0, 0, 0]));
    injectIp(PROTOCOL_ICMP, icmpMessage(8, 0, [0, 1, 0, 1], new Uint8Array(4)), ip("255.255.255.255"));
    expect(sentIcmp()).toHaveLength(0);
    expect(h.stack.counters.drops["icmp.badChecksum"]).toBe(1);
    expect(h.stack.counters.drops["icmp.truncated"]).toBe(1);
  });

  it("reports closed UDP ports, quoting the datagram, at a limited rate", async () => {
    const { scheduler, h, injectIp, sentIcmp } = setup({ icmp: { maxUnreachablePerWindow: 2, unreachableWindowMs: 1000 } });
    const segment = udpSegment({ source: PEER, destination: US, sourcePort: 5000, destinationPort: 9, data: new Uint8Array(20) });
    for (let i = 0; i < 3; i++) injectIp(PROTOCOL_UDP, segment);
    const errors = sentIcmp();
    expect(errors).toHaveLength(2);
    const message = errors[0].payload;
    expect([message[0], message[1]]).toEqual([3, 3]);
    expect(onesComplement(message)).toBe(0);
    const quoted = decodeIpv4(message.subarray(8));
    expect(quoted).toMatchObject({ source: PEER, destination: US, protocol: PROTOCOL_UDP });
    expect(message.length).toBe(8 + 20 + 8);
    expect(h.stack.counters.drops["udp.portUnreachable"]).toBe(3);
    expect(h.stack.counters.drops["icmp.unreachableRateLimited"]).toBe(1);
    await scheduler.advance(1000);
    injectIp(PROTOCOL_UDP, segment);
    expect(sentIcmp()).toHaveLength(1);
    injectIp(PROTOCOL_UDP, segment, ip("10.0.2.255"));
    expect(sentIcmp()).toHaveLength(0);
  });
});
