import { describe, expect, it } from "vitest";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../../runtime/net/ethernet";
import { NetError } from "../../runtime/net/errors";
import { PROTOCOL_UDP } from "../../runtime/net/ipv4-header";
import type { UdpMessage } from "../../runtime/net/udp";
import { backToBack, host, staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { arpPacket, decodeFrame, decodeIpv4, ethernet, ip, ipv4Packet, udpChecksumOk, udpSegment, type UdpSpec } from "../net/packets";
import { mac } from "../net/sim-link";

const US = ip("10.0.2.15");
const PEER = ip("10.0.2.9");
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function setup(queueLength?: number, queueBytes?: number) {
  const scheduler = new ManualScheduler();
  const h = host(scheduler, 0x15);
  h.stack.configureStatic(staticConfig("10.0.2.15"));
  h.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_ARP, arpPacket(2, mac(9), PEER, mac(0x15), US)));
  h.link.takeSent();
  const socket = h.stack.udp.bind(7, { queueLength, queueBytes });
  const inject = (spec: Partial<UdpSpec>, checksumValidated = false): void => {
    const segment = udpSegment({ source: PEER, destination: US, sourcePort: 5000, destinationPort: 7, data: text("hello"), ...spec });
    const frame = ethernet(mac(0x15), mac(9), ETHERTYPE_IPV4, ipv4Packet({ source: PEER, destination: US, protocol: PROTOCOL_UDP, payload: segment }));
    h.link.inject(frame, { checksumValidated });
  };
  return { scheduler, h, socket, inject };
}

describe("udp", () => {
  it("echoes between two stacks", async () => {
    const { scheduler, a, b } = backToBack();
    const server = b.stack.udp.bind(7);
    server.onMessage((message) => server.send(message.address, message.port, message.data));
    const client = a.stack.udp.bind(0);
    expect(client.port).toBeGreaterThanOrEqual(49152);
    const replies: UdpMessage[] = [];
    client.onMessage((message) => replies.push(message));
    client.send("10.0.2.2", 7, text("ping one"));
    client.send("10.0.2.2", 7, new Uint8Array(3000).fill(5));
    await scheduler.advance(5);
    expect(replies.map((r) => r.data.length)).toEqual([8, 3000]);
    expect(replies[0]).toMatchObject({ address: ip("10.0.2.2"), port: 7, data: text("ping one") });
    expect(replies[1].data.every((byte) => byte === 5)).toBe(true);
  });

  it("sends a header and a checksum that verifies over the pseudo-header", () => {
    const { h, socket } = setup();
    socket.send(PEER, 53, text("abc"));
    const packet = decodeIpv4(decodeFrame(h.link.takeSent()[0].frame).payload);
    expect(Array.from(packet.payload.subarray(0, 6))).toEqual([0, 7, 0, 53, 0, 11]);
    expect(udpChecksumOk(US, PEER, packet.payload)).toBe(true);
  });

  it("queues messages for the async iterator and drops beyond the bound", async () => {
    const { h, socket, inject } = setup(2);
    inject({ data: text("one") });
    inject({ data: text("two") });
    inject({ data: text("three") });
    expect(h.stack.counters.drops["udp.queueFull"]).toBe(1);
    const seen: string[] = [];
    for await (const message of socket) {
      seen.push(new TextDecoder().decode(message.data));
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(["one", "two"]);
    const pending = socket.receive();
    inject({ data: text("four") });
    expect((await pending).port).toBe(5000);
    socket.close();
    await expect(socket.receive()).rejects.toMatchObject({ code: "closed" });
  });

  it("bounds the bytes queued for a reader, not only the messages", async () => {
    const { h, socket, inject } = setup(64, 1000);
    const big = new Uint8Array(400);
    for (let i = 0; i < 4; i++) inject({ data: big });
    expect(h.stack.counters.drops["udp.queueFull"]).toBe(2);
    expect((await socket.receive()).data.length).toBe(400);
    inject({ data: big });
    expect(h.stack.counters.drops["udp.queueFull"]).toBe(2);
    socket.close();
  });

  it("accepts a zero checksum and a link-validated one, and drops corrupt ones", () => {
    const { h, socket, inject } = setup();
    const got: UdpMessage[] = [];
    socket.onMessage((message) => got.push(message));
    inject({ checksum: "zero" });
    inject({ checksum: "corrupt" });
    inject({ checksum: "corrupt" }, true);
    expect(got).toHaveLength(2);
    expect(h.stack.counters.drops["udp.badChecksum"]).toBe(1);
  });

  it("drops truncated headers and bad lengths", () => {
    const { h, socket, inject } = setup();
    const got: UdpMessage[] = [];
    socket.onMessage((message) => got.push(message));
    h.link.inject(ethernet(mac(0x15), mac(9), ETHERTYPE_IPV4, ipv4Packet({ source: PEER, destination: US, protocol: PROTOCOL_UDP, payload: new Uint8Array(7) })));
    inject({ length: 7 });
    inject({ length: 200 });
    expect(got).toHaveLength(0);
    expect(h.stack.counters.drops["udp.truncated"]).toBe(1);
    expect(h.stack.counters.drops["udp.badLength"]).toBe(2);
  });

  it("leaves the checksum to the link when it offloads", () => {
    const { h, socket } = setup();
    h.link.checksumOffload = true;
    socket.send(PEER, 53, text("abc"));
    expect(h.link.takeSent()[0].offload).toEqual({ start: 34, offset: 6 });
    socket.send(PEER, 53, new Uint8Array(2000));
    const fragments = h.link.takeSent();
    expect(fragments.every((f) => f.offload === undefined)).toBe(true);
  });

  it("refuses a bound port, frees it on close, and reports app exceptions asynchronously", async () => {
    const { socket, inject } = setup();
    const scheduler = new ManualScheduler();
    const other = host(scheduler, 3).stack;
    expect(() => other.udp.bind(70000)).toThrow(NetError);
    const { stack } = host(scheduler, 4);
    stack.udp.bind(7);
    expect(() => stack.udp.bind(7)).toThrow(expect.objectContaining({ code: "addressInUse" }));
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on("unhandledRejection", onRejection);
    socket.onMessage(() => {
      throw new Error("app bug");
    });
    expect(() => inject({})).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.off("unhandledRejection", onRejection);
    expect(rejections).toEqual([new Error("app bug")]);
    socket.close();
    expect(() => socket.send(PEER, 1, text("x"))).toThrow(NetError);
  });
});
