import { describe, expect, it } from "vitest";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../../runtime/net/ethernet";
import { PROTOCOL_UDP } from "../../runtime/net/ipv4-header";
import { backToBack, host, staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { BROADCAST, arpPacket, decodeFrame, decodeIpv4, ethernet, ip } from "../net/packets";
import { mac } from "../net/sim-link";

const ZERO_MAC = new Uint8Array(6);

function arpOf(frame: Uint8Array): { operation: number; senderIp: number; targetIp: number; targetMac: Uint8Array } {
  const { etherType, payload } = decodeFrame(frame);
  expect(etherType).toBe(ETHERTYPE_ARP);
  const read32 = (o: number): number => ((payload[o] << 24) | (payload[o + 1] << 16) | (payload[o + 2] << 8) | payload[o + 3]) >>> 0;
  return { operation: (payload[6] << 8) | payload[7], senderIp: read32(14), targetIp: read32(24), targetMac: payload.slice(18, 24) };
}

function configured(): { scheduler: ManualScheduler; h: ReturnType<typeof host> } {
  const scheduler = new ManualScheduler();
  const h = host(scheduler, 0x15);
  h.stack.configureStatic(staticConfig("10.0.2.15"));
  h.link.takeSent();
  return { scheduler, h };
}

describe("arp", () => {
  it("announces a new address with a gratuitous request", () => {
    const scheduler = new ManualScheduler();
    const { stack, link } = host(scheduler, 0x15);
    stack.configureStatic(staticConfig("10.0.2.15"));
    const [announcement] = link.takeSent();
    expect(decodeFrame(announcement.frame).destination).toEqual(BROADCAST);
    expect(arpOf(announcement.frame)).toMatchObject({ operation: 1, senderIp: ip("10.0.2.15"), targetIp: ip("10.0.2.15") });
    link.setLinkUp(true);
    expect(link.takeSent()).toHaveLength(1);
  });

  it("answers requests for our address only", () => {
    const { h } = configured();
    h.link.inject(ethernet(BROADCAST, mac(9), ETHERTYPE_ARP, arpPacket(1, mac(9), ip("10.0.2.9"), ZERO_MAC, ip("10.0.2.77"))));
    expect(h.link.takeSent()).toHaveLength(0);
    h.link.inject(ethernet(BROADCAST, mac(9), ETHERTYPE_ARP, arpPacket(1, mac(9), ip("10.0.2.9"), ZERO_MAC, ip("10.0.2.15"))));
    const [reply] = h.link.takeSent();
    expect(decodeFrame(reply.frame).destination).toEqual(mac(9));
    expect(arpOf(reply.frame)).toMatchObject({ operation: 2, senderIp: ip("10.0.2.15"), targetIp: ip("10.0.2.9"), targetMac: mac(9) });
  });

  it("queues a packet until the reply arrives, then sends it to the learned MAC", () => {
    const { h } = configured();
    expect(h.stack.ipSend(ip("10.0.2.9"), PROTOCOL_UDP, new Uint8Array(8))).toBe("queued");
    const [request] = h.link.takeSent();
    expect(arpOf(request.frame)).toMatchObject({ operation: 1, targetIp: ip("10.0.2.9") });
    h.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_ARP, arpPacket(2, mac(9), ip("10.0.2.9"), mac(0x15), ip("10.0.2.15"))));
    const [queued] = h.link.takeSent();
    expect(decodeFrame(queued.frame)).toMatchObject({ destination: mac(9), etherType: ETHERTYPE_IPV4 });
    expect(h.stack.ipSend(ip("10.0.2.9"), PROTOCOL_UDP, new Uint8Array(8))).toBe("sent");
  });

  it("resolves through a real peer and expires cache entries", async () => {
    const { scheduler, a, b } = backToBack({ arp: { cacheLifetimeMs: 5000 } });
    const received: number[] = [];
    b.stack.udp.bind(7).onMessage((message) => received.push(message.data.length));
    const client = a.stack.udp.bind(0);
    expect(client.send("10.0.2.2", 7, new Uint8Array(3))).toBe("queued");
    await scheduler.advance(1);
    expect(received).toEqual([3]);
    expect(client.send("10.0.2.2", 7, new Uint8Array(4))).toBe("sent");
    await scheduler.advance(5000);
    expect(client.send("10.0.2.2", 7, new Uint8Array(5))).toBe("queued");
    await scheduler.advance(1);
    expect(received).toEqual([3, 4, 5]);
  });

  it("retries, then gives up and counts the queued packets as dropped", async () => {
    const { scheduler, h } = configured();
    h.stack.ipSend(ip("10.0.2.9"), PROTOCOL_UDP, new Uint8Array(8));
    h.stack.ipSend(ip("10.0.2.9"), PROTOCOL_UDP, new Uint8Array(8));
    await scheduler.advance(10_000);
    const requests = h.link.takeSent().map((s) => arpOf(s.frame));
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.operation === 1 && r.targetIp === ip("10.0.2.9"))).toBe(true);
    expect(h.stack.counters.drops["arp.unresolved"]).toBe(2);
    expect(scheduler.pendingTimers).toBe(0);
  });

  it("bounds the queue per unresolved address", () => {
    const scheduler = new ManualScheduler();
    const h = host(scheduler, 0x15, { arp: { maxQueuedFrames: 2 } });
    h.stack.configureStatic(staticConfig("10.0.2.15"));
    const results = [1, 2, 3].map(() => h.stack.ipSend(ip("10.0.2.9"), PROTOCOL_UDP, new Uint8Array(8)));
    expect(results).toEqual(["queued", "queued", "dropped"]);
    expect(h.stack.counters.drops["arp.queueFull"]).toBe(1);
  });

  it("routes off-link destinations through the gateway", () => {
    const { h } = configured();
    h.stack.ipSend(ip("93.184.216.34"), PROTOCOL_UDP, new Uint8Array(8));
    expect(arpOf(h.link.takeSent()[0].frame).targetIp).toBe(ip("10.0.2.2"));
    h.link.inject(ethernet(mac(0x15), mac(2), ETHERTYPE_ARP, arpPacket(2, mac(2), ip("10.0.2.2"), mac(0x15), ip("10.0.2.15"))));
    const [sent] = h.link.takeSent();
    expect(decodeFrame(sent.frame).destination).toEqual(mac(2));
    expect(decodeIpv4(decodeFrame(sent.frame).payload).destination).toBe(ip("93.184.216.34"));
  });

  it("drops truncated and non-Ethernet/IPv4 ARP packets", () => {
    const { h } = configured();
    const request = arpPacket(1, mac(9), ip("10.0.2.9"), ZERO_MAC, ip("10.0.2.15"));
    h.link.inject(ethernet(BROADCAST, mac(9), ETHERTYPE_ARP, request.subarray(0, 27)));
    const wrongHardware = request.slice();
    wrongHardware[1] = 6;
    h.link.inject(ethernet(BROADCAST, mac(9), ETHERTYPE_ARP, wrongHardware));
    const wrongLength = request.slice();
    wrongLength[5] = 16;
    h.link.inject(ethernet(BROADCAST, mac(9), ETHERTYPE_ARP, wrongLength));
    expect(h.link.takeSent()).toHaveLength(0);
    expect(h.stack.counters.drops["arp.truncated"]).toBe(1);
    expect(h.stack.counters.drops["arp.unsupported"]).toBe(2);
  });
});
