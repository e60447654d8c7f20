// How many buffers the virtio-net driver posts and sends per ring, how many frames one poll takes,
// and the frame sizes at the edges of a buffer.
import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { NetFeature } from "../sim/virtio/net-model";
import { GUEST_MAC, PEER_MAC, frameTo, netRig } from "./netdrv-harness";

const ETHERNET_HEADER = 14;

describe("virtio-net receive budget", () => {
  it("a poll takes at most rxBudget frames, re-posting their buffers; the next poll takes the rest", () => {
    const { machine, model, net, received } = netRig({ driver: { rxBudget: 3, rxBuffers: 16 } });
    for (let i = 0; i < 7; i++) expect(model.injectFrame(frameTo(GUEST_MAC, 50 + i))).toBe(true);
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([64, 65, 66]);
    expect(model.postedRxBuffers).toBe(16 - 7 + 3);
    net.poll();
    net.poll();
    expect(received.length).toBe(7);
    expect(received[6].frame.length).toBe(ETHERNET_HEADER + 56);
    expect(model.postedRxBuffers).toBe(16);
    net.poll();
    expect(received.length).toBe(7);
    assertNoViolations(machine.violations);
  });
});

describe("virtio-net buffers per ring", () => {
  it("posts one receive buffer per ring entry, and half as many when the header takes its own descriptor", () => {
    expect(netRig({ device: { queueSize: 16 } }).model.postedRxBuffers).toBe(16);
    const legacy = netRig({ layout: "legacy", device: { queueSize: 16, indirect: false, withhold: [NetFeature.MrgRxbuf] } });
    expect(legacy.net.layout.descriptorsPerBuffer).toBe(2);
    expect(legacy.model.postedRxBuffers).toBe(8);
    assertNoViolations(legacy.machine.violations);
  });

  it("never posts more receive buffers than asked for", () => {
    expect(netRig({ device: { queueSize: 64 }, driver: { rxBuffers: 5 } }).model.postedRxBuffers).toBe(5);
  });

  it("sends as many frames as the ring holds before reporting it full", () => {
    const { model, net } = netRig({ device: { queueSize: 16 }, driver: { txBatch: 64 } });
    model.holdCompletions = true;
    let sent = 0;
    while (sent < 100 && net.transmit(frameTo(PEER_MAC, 60))) sent++;
    expect(sent).toBe(16);
    expect(net.counters.txRingFull).toBe(1);
  });

  it("takes one descriptor per frame when the header may share it, indirect descriptors or not", () => {
    for (const indirect of [true, false]) {
      const { machine, model, net } = netRig({ device: { queueSize: 16, indirect }, driver: { txBatch: 64 } });
      model.holdCompletions = true;
      let sent = 0;
      while (sent < 100 && net.transmit(frameTo(PEER_MAC, 60))) sent++;
      expect(sent).toBe(16);
      assertNoViolations(machine.violations);
    }
  });
});

describe("virtio-net frame sizes", () => {
  it("a frame of just an Ethernet header is delivered; an empty payload is not short", () => {
    const { model, net, received } = netRig();
    model.injectFrame(frameTo(GUEST_MAC, 0));
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([ETHERNET_HEADER]);
    expect(net.counters.rxShort).toBe(0);
  });

  it("without MRG_RXBUF each buffer holds the largest frame: MTU, Ethernet header and one VLAN tag", () => {
    const { machine, model, net, received } = netRig({ device: { mtu: 1500, withhold: [NetFeature.MrgRxbuf] } });
    expect(model.injectFrame(frameTo(GUEST_MAC, 1500 + 4))).toBe(true);
    expect(model.injectFrame(frameTo(GUEST_MAC, 1500 + 5))).toBe(false);
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([ETHERNET_HEADER + 1504]);
    assertNoViolations(machine.violations);
  });

  it("transmits the largest frame and drops one byte more", () => {
    const { model, net } = netRig({ device: { mtu: 1500 } });
    expect(net.transmit(frameTo(PEER_MAC, 1504))).toBe(true);
    expect(net.transmit(frameTo(PEER_MAC, 1505))).toBe(true);
    net.flush();
    expect(model.transmitted.map((f) => f.length)).toEqual([ETHERNET_HEADER + 1504]);
    expect(net.counters.txOversize).toBe(1);
    expect(net.allocateFrame(ETHERNET_HEADER + 1504)?.length).toBe(ETHERNET_HEADER + 1504);
    expect(net.allocateFrame(ETHERNET_HEADER + 1505)).toBeUndefined();
  });
});
