import { describe, expect, it } from "vitest";
import { ETHERTYPE_IPV4 } from "../../runtime/net/ethernet";
import { PROTOCOL_TCP, PROTOCOL_UDP } from "../../runtime/net/ipv4-header";
import type { Ipv4Datagram } from "../../runtime/net/ipv4";
import { backToBack, host, staticConfig, type ExtraOptions, type Host } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { decodeFrame, decodeIpv4, ethernet, ip, ipv4Packet, type Ipv4Spec } from "../net/packets";
import { mac } from "../net/sim-link";

const US = ip("10.0.2.15");
const PEER = ip("10.0.2.9");

interface Delivered {
  source: number;
  destination: number;
  payload: Uint8Array;
  broadcast: boolean;
}

function setup(options: ExtraOptions = {}): { scheduler: ManualScheduler; h: Host; delivered: Delivered[]; inject: (spec: Partial<Ipv4Spec>) => void } {
  const scheduler = new ManualScheduler();
  const h = host(scheduler, 0x15, options);
  h.stack.configureStatic(staticConfig("10.0.2.15"));
  h.link.takeSent();
  const delivered: Delivered[] = [];
  h.stack.registerProtocol(PROTOCOL_TCP, (d: Ipv4Datagram) =>
    delivered.push({ source: d.source, destination: d.destination, broadcast: d.broadcast, payload: d.bytes.slice(d.payloadOffset, d.payloadOffset + d.payloadLength) }),
  );
  const inject = (spec: Partial<Ipv4Spec>): void =>
    h.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_IPV4, ipv4Packet({ source: PEER, destination: US, protocol: PROTOCOL_TCP, payload: new Uint8Array([1, 2, 3, 4]), ...spec })));
  return { scheduler, h, delivered, inject };
}

const bytes = (length: number, seed = 0): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);

describe("ipv4 receive", () => {
  it("delivers a valid datagram to the registered protocol, ignoring Ethernet padding", () => {
    const { h, delivered, inject } = setup();
    inject({});
    const padded = new Uint8Array(80);
    padded.set(ethernet(mac(0x15), mac(9), ETHERTYPE_IPV4, ipv4Packet({ source: PEER, destination: US, protocol: PROTOCOL_TCP, payload: bytes(5) })));
    h.link.inject(padded);
    inject({ destination: ip("255.255.255.255") });
    inject({ destination: ip("10.0.2.255") });
    expect(delivered.map((d) => d.payload.length)).toEqual([4, 5, 4, 4]);
    expect(delivered[0]).toMatchObject({ source: PEER, destination: US, broadcast: false });
    expect(delivered[2].broadcast).toBe(true);
    expect(delivered[3].broadcast).toBe(true);
  });

  it("accepts options in the header", () => {
    const { delivered, inject } = setup();
    inject({ headerLength: 24 });
    expect(delivered).toHaveLength(1);
    expect(delivered[0].payload).toEqual(new Uint8Array([1, 2, 3, 4]));
  });

  it.each<[string, Partial<Ipv4Spec>]>([
    ["ipv4.badVersion", { version: 6 }],
    ["ipv4.badHeaderLength", { headerLength: 16 }],
    ["ipv4.badTotalLength", { totalLength: 19 }],
    ["ipv4.badTotalLength", { totalLength: 200 }],
    ["ipv4.badChecksum", { corruptChecksum: true }],
    ["ipv4.notForUs", { destination: ip("10.0.2.16") }],
    ["ipv4.notForUs", { destination: ip("224.0.0.251") }],
    ["ipv4.badSource", { source: ip("255.255.255.255") }],
    ["ipv4.unknownProtocol", { protocol: 99 }],
  ])("drops %s", (reason, spec) => {
    const { h, delivered, inject } = setup();
    inject(spec);
    expect(delivered).toHaveLength(0);
    expect(h.stack.counters.drops[reason as keyof typeof h.stack.counters.drops]).toBe(1);
  });

  it("drops truncated headers and options running past the packet", () => {
    const { h, delivered } = setup();
    const packet = (headerLength: number): Uint8Array => ipv4Packet({ source: PEER, destination: US, protocol: PROTOCOL_TCP, payload: bytes(0), headerLength });
    h.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_IPV4, packet(20).subarray(0, 19)));
    h.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_IPV4, packet(60).subarray(0, 40)));
    expect(delivered).toHaveLength(0);
    expect(h.stack.counters.drops["ipv4.truncated"]).toBe(1);
    expect(h.stack.counters.drops["ipv4.badHeaderLength"]).toBe(1);
  });
});

describe("ipv4 send", () => {
  it("writes a valid header with TTL, protocol and changing identification", () => {
    const { h } = setup();
    h.link.inject(ethernet(mac(0x15), mac(9), 0x0806, new Uint8Array(0)));
    h.stack.ipSend(ip("10.0.2.255"), PROTOCOL_TCP, bytes(10));
    h.stack.ipSend(ip("10.0.2.255"), PROTOCOL_TCP, bytes(10));
    const [first, second] = h.link.takeSent().map((s) => decodeIpv4(decodeFrame(s.frame).payload));
    expect(first).toMatchObject({ source: US, destination: ip("10.0.2.255"), protocol: PROTOCOL_TCP, ttl: 64, headerChecksumOk: true, moreFragments: false });
    expect(first.payload).toEqual(bytes(10));
    expect(second.id).toBe((first.id + 1) & 0xffff);
  });

  it("has no route when unconfigured, or off-link without a gateway", () => {
    const scheduler = new ManualScheduler();
    const h = host(scheduler, 0x15);
    expect(h.stack.ipSend(PEER, PROTOCOL_TCP, bytes(4))).toBe("dropped");
    h.stack.configureStatic({ ...staticConfig("10.0.2.15"), gateway: 0 });
    expect(h.stack.ipSend(ip("8.8.8.8"), PROTOCOL_TCP, bytes(4))).toBe("dropped");
    expect(h.stack.counters.drops["ipv4.noRoute"]).toBe(2);
    expect(h.stack.ipSend(PEER, PROTOCOL_TCP, bytes(65516))).toBe("dropped");
    expect(h.stack.counters.drops["ipv4.tooLarge"]).toBe(1);
  });

  it("fragments beyond the MTU and the peer reassembles", async () => {
    const { scheduler, a, b } = backToBack();
    const received: Uint8Array[] = [];
    b.stack.registerProtocol(PROTOCOL_TCP, (d) => received.push(d.bytes.slice(d.payloadOffset, d.payloadOffset + d.payloadLength)));
    const payload = bytes(4000, 3);
    a.link.takeSent();
    a.stack.ipSend(ip("10.0.2.2"), PROTOCOL_TCP, payload);
    await scheduler.advance(1);
    const fragments = a.link
      .takeSent()
      .map((s) => decodeFrame(s.frame))
      .filter((f) => f.etherType === ETHERTYPE_IPV4)
      .map((f) => decodeIpv4(f.payload));
    expect(fragments.map((f) => [f.fragmentOffset, f.payload.length, f.moreFragments])).toEqual([
      [0, 1480, true],
      [1480, 1480, true],
      [2960, 1040, false],
    ]);
    expect(new Set(fragments.map((f) => f.id)).size).toBe(1);
    expect(fragments.every((f) => f.headerChecksumOk)).toBe(true);
    expect(received).toEqual([payload]);
  });

  it("fills in a transport checksum in software, or hands it to the link", () => {
    const { h } = setup();
    h.link.inject(ethernet(mac(0x15), mac(9), 0x0806, new Uint8Array(0)));
    const segment = new Uint8Array(20);
    h.stack.ipSend(ip("10.0.2.255"), PROTOCOL_UDP, segment, 6);
    h.link.checksumOffload = true;
    h.stack.ipSend(ip("10.0.2.255"), PROTOCOL_UDP, segment, 6);
    const [software, offloaded] = h.link.takeSent();
    const pseudo = (0x0a00 + 0x020f + 0x0a00 + 0x02ff + PROTOCOL_UDP + 20) & 0xffff;
    expect(software.offload).toBeUndefined();
    expect((software.frame[40] << 8) | software.frame[41]).toBe(~pseudo & 0xffff);
    expect(offloaded.offload).toEqual({ start: 34, offset: 6 });
    expect((offloaded.frame[40] << 8) | offloaded.frame[41]).toBe(pseudo);
  });
});

describe("ipv4 reassembly", () => {
  const fragment = (offset: number, length: number, more: boolean, id = 7): Partial<Ipv4Spec> => ({
    id,
    fragmentOffset: offset,
    moreFragments: more,
    payload: bytes(4096).subarray(offset, offset + length),
  });

  it("reassembles fragments arriving out of order", () => {
    const { h, delivered, inject } = setup();
    inject(fragment(2048, 100, false));
    inject(fragment(1024, 1024, true));
    expect(delivered).toHaveLength(0);
    inject(fragment(0, 1024, true));
    expect(delivered).toHaveLength(1);
    expect(delivered[0].payload).toEqual(bytes(4096).subarray(0, 2148));
    expect(delivered[0].source).toBe(PEER);
    expect(h.stack.counters.drops["reassembly.overlap"]).toBe(0);
  });

  it("rejects overlapping fragments and drops the datagram", () => {
    const { h, delivered, inject } = setup();
    inject(fragment(0, 1024, true));
    inject(fragment(1016, 104, false));
    inject(fragment(1024, 96, false));
    expect(delivered).toHaveLength(0);
    expect(h.stack.counters.drops["reassembly.overlap"]).toBe(1);
  });

  it("times out datagrams that never complete", async () => {
    const { scheduler, h, delivered, inject } = setup({ reassembly: { timeoutMs: 5000 } });
    inject(fragment(0, 1024, true));
    await scheduler.advance(5000);
    inject(fragment(1024, 8, false));
    expect(delivered).toHaveLength(0);
    expect(h.stack.counters.drops["reassembly.timeout"]).toBe(1);
  });

  it("limits datagrams in progress by evicting the oldest, so incomplete sets cannot block new ones", () => {
    const { h, delivered, inject } = setup({ reassembly: { maxDatagrams: 2 } });
    inject(fragment(0, 8, true, 1));
    inject(fragment(0, 8, true, 2));
    inject(fragment(0, 8, true, 3));
    expect(h.stack.counters.drops["reassembly.evicted"]).toBe(1);
    inject(fragment(8, 8, false, 3));
    expect(delivered).toHaveLength(1);
    inject(fragment(8, 8, false, 2));
    expect(delivered).toHaveLength(2);
    // Datagram 1 was evicted: its last fragment starts a new set that never completes.
    inject(fragment(8, 8, false, 1));
    expect(delivered).toHaveLength(2);
  });

  it("discards a datagram cut into more fragments than maxFragments", () => {
    const { h, delivered, inject } = setup({ reassembly: { maxFragments: 4 } });
    for (let i = 0; i < 4; i++) inject(fragment(i * 8, 8, true, 7));
    inject(fragment(32, 8, false, 7));
    expect(delivered).toHaveLength(0);
    expect(h.stack.counters.drops["reassembly.tooManyFragments"]).toBe(1);
  });

  it("rejects datagrams beyond 65535 bytes and misaligned middle fragments", () => {
    const { h, delivered, inject } = setup();
    inject({ id: 9, fragmentOffset: 65504, moreFragments: false, payload: bytes(16) });
    inject({ id: 10, fragmentOffset: 0, moreFragments: true, payload: bytes(12) });
    inject({ id: 11, fragmentOffset: 0, moreFragments: true, payload: bytes(16) });
    inject({ id: 11, fragmentOffset: 32, moreFragments: false, payload: bytes(8) });
    inject({ id: 11, fragmentOffset: 16, moreFragments: false, payload: bytes(8) });
    expect(delivered).toHaveLength(0);
    expect(h.stack.counters.drops["reassembly.tooLarge"]).toBe(1);
    expect(h.stack.counters.drops["reassembly.badFragment"]).toBe(2);
  });
});
