import { describe, expect, it } from "vitest";
import { NetCounters } from "../../runtime/net/counters";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, Ethernet } from "../../runtime/net/ethernet";
import { ManualScheduler } from "../net/manual-scheduler";
import { BROADCAST, decodeFrame, ethernet } from "../net/packets";
import { SimLink, mac } from "../net/sim-link";

function setup(): { link: SimLink; eth: Ethernet; counters: NetCounters; received: number[] } {
  const link = new SimLink(mac(1), new ManualScheduler());
  const counters = new NetCounters();
  const eth = new Ethernet(link, counters);
  const received: number[] = [];
  eth.register(ETHERTYPE_IPV4, (_frame, offset, length) => received.push(offset, length));
  link.onReceive((frame, info) => eth.receive(frame, info));
  return { link, eth, counters, received };
}

const payload = new Uint8Array(46);

describe("ethernet", () => {
  it("accepts frames to our MAC and broadcast, dispatching the payload by EtherType", () => {
    const { link, counters, received } = setup();
    link.inject(ethernet(mac(1), mac(9), ETHERTYPE_IPV4, payload));
    link.inject(ethernet(BROADCAST, mac(9), ETHERTYPE_IPV4, payload));
    expect(received).toEqual([14, 46, 14, 46]);
    expect(counters.rxFrames).toBe(2);
    expect(counters.rxBytes).toBe(120);
  });

  it("drops unicast for another MAC and multicast groups not joined", () => {
    const { link, eth, counters, received } = setup();
    const group = new Uint8Array([0x01, 0x00, 0x5e, 0, 0, 0xfb]);
    link.inject(ethernet(mac(2), mac(9), ETHERTYPE_IPV4, payload));
    link.inject(ethernet(group, mac(9), ETHERTYPE_IPV4, payload));
    expect(received).toEqual([]);
    expect(counters.drops["ethernet.notForUs"]).toBe(2);
    eth.joinMulticast(group);
    link.inject(ethernet(group, mac(9), ETHERTYPE_IPV4, payload));
    expect(received).toEqual([14, 46]);
  });

  it("counts truncated frames and unknown EtherTypes", () => {
    const { link, counters, received } = setup();
    link.inject(new Uint8Array(13));
    link.inject(ethernet(mac(1), mac(9), 0x86dd, payload));
    link.inject(ethernet(mac(1), mac(9), ETHERTYPE_ARP, payload));
    expect(received).toEqual([]);
    expect(counters.drops["ethernet.truncated"]).toBe(1);
    expect(counters.drops["ethernet.unknownEtherType"]).toBe(2);
  });

  it("fills in the header on send and reports a full ring as busy", () => {
    const { link, eth, counters } = setup();
    const frame = new Uint8Array(60);
    expect(eth.send(frame, mac(7), ETHERTYPE_IPV4)).toBe("sent");
    const sent = decodeFrame(link.takeSent()[0].frame);
    expect(sent.destination).toEqual(mac(7));
    expect(sent.source).toEqual(mac(1));
    expect(sent.etherType).toBe(ETHERTYPE_IPV4);
    expect(counters.txFrames).toBe(1);
    link.ringFull = true;
    expect(eth.send(new Uint8Array(60), mac(7), ETHERTYPE_IPV4)).toBe("busy");
    link.ringFull = false;
    link.linkUp = false;
    expect(eth.send(new Uint8Array(60), mac(7), ETHERTYPE_IPV4)).toBe("dropped");
    expect(counters.drops["tx.ringFull"]).toBe(1);
    expect(counters.drops["tx.linkDown"]).toBe(1);
    expect(counters.txFrames).toBe(1);
  });
});
