// virtio-net driver: TCP segmentation offload (HOST_TSO4) and large receives (GUEST_TSO4):
// negotiation both ways, the headers the driver writes, and what it takes from the device.
import { describe, expect, it } from "vitest";
import { NET_FEATURE_NAMES } from "../../drivers/virtio/net/constants";
import { featureNames } from "../../drivers/virtio/features";
import { assertNoViolations } from "../sim/violations";
import { NetFeature, NetGso, NetHeaderFlag, NetQueue, type NetModel } from "../sim/virtio/net-model";
import { GUEST_MAC, netRig } from "./netdrv-harness";

const ALL_OFFLOADS = [
  NetFeature.Csum,
  NetFeature.GuestCsum,
  NetFeature.HostTso4,
  NetFeature.HostTso6,
  NetFeature.HostEcn,
  NetFeature.HostUfo,
  NetFeature.GuestTso4,
  NetFeature.GuestTso6,
  NetFeature.GuestEcn,
  NetFeature.GuestUfo,
];
const OFFLOADS = [NetFeature.Csum, NetFeature.GuestCsum, NetFeature.HostTso4, NetFeature.GuestTso4];
const MSS = 1460;
const ETHERNET = 14;
const IP = 20;
const TCP = 20;
const HEADERS = ETHERNET + IP + TCP;
const HDR = { flags: 0, gsoType: 1, hdrLen: 2, gsoSize: 4, csumStart: 6, csumOffset: 8 } as const;
const le16 = (bytes: Uint8Array, at: number) => bytes[at] | (bytes[at + 1] << 8);
const be16 = (bytes: Uint8Array, at: number) => (bytes[at] << 8) | bytes[at + 1];
const be32 = (bytes: Uint8Array, at: number) => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;

function sum16(bytes: Uint8Array, from: number, end: number, sum = 0): number {
  for (let i = from; i < end; i += 2) sum += (bytes[i] << 8) | (i + 1 < end ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * A TCP/IPv4 frame from 10.0.0.2:80 to 10.0.0.1:4000 carrying `payload` bytes of a pattern, seq
 * 1000, with `flags`, a valid IPv4 header and the TCP pseudo-header sum in the checksum field, as
 * a stack leaves it for the device to finish.
 */
function tcpFrame(frame: Uint8Array, payload: number, flags = 0x18): Uint8Array {
  frame.fill(0);
  frame.set([2, 0, 0, 0, 0, 1], 0);
  frame.set(GUEST_MAC, 6);
  frame.set([0x08, 0x00], 12);
  const ip = ETHERNET;
  frame.set([0x45, 0, (IP + TCP + payload) >> 8, (IP + TCP + payload) & 0xff, 0x12, 0x34, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1], ip);
  const ipSum = ~sum16(frame, ip, ip + IP) & 0xffff;
  frame.set([ipSum >> 8, ipSum & 0xff], ip + 10);
  const tcp = ip + IP;
  frame.set([0, 80, 0x0f, 0xa0, 0, 0, 0x03, 0xe8, 0, 0, 0, 1, 0x50, flags, 0xff, 0xff], tcp);
  for (let i = 0; i < payload; i++) frame[HEADERS + i] = (i * 13 + 7) & 0xff;
  const pseudo = sum16(frame, ip + 12, ip + 20, 6 + TCP + payload);
  frame.set([pseudo >> 8, pseudo & 0xff], tcp + 16);
  return frame;
}

/** The header the driver wrote in front of `frame` (a frame from allocateFrame, in DMA memory). */
function headerOf(frame: Uint8Array, size: number): Uint8Array {
  return new Uint8Array(frame.buffer, frame.byteOffset - size, size);
}

function offloadRig(offer: number[], withhold: number[] = []) {
  const rig = netRig({ device: { offer, withhold }, driver: { txBatch: 64 } });
  const wire: Uint8Array[] = [];
  rig.model.onTransmit = (frame) => wire.push(frame);
  return { ...rig, wire };
}

function negotiatedOffloads(model: NetModel): number[] {
  return ALL_OFFLOADS.filter((bit) => model.negotiated(bit));
}

describe("virtio-net offload negotiation", () => {
  it("takes HOST_TSO4 with CSUM and GUEST_TSO4 with GUEST_CSUM and MRG_RXBUF; leaves IPv6, UFO and ECN", () => {
    const { machine, model, net, probed } = offloadRig(ALL_OFFLOADS);
    expect(negotiatedOffloads(model)).toEqual(OFFLOADS);
    expect(net.segmentationLimit).toBe(0xffff);
    expect(net.checksumOffload).toBe(true);
    const names = featureNames(probed.device?.features ?? 0n, NET_FEATURE_NAMES);
    expect(names).toEqual(expect.arrayContaining(["csum", "guest-csum", "host-tso4", "guest-tso4", "mrg-rxbuf"]));
    expect(names).not.toContain("host-ecn");
    assertNoViolations(machine.violations);
  });

  it("without offloads offered (user networking), segments nothing and takes no large receives", () => {
    const { machine, model, net } = offloadRig([]);
    expect(negotiatedOffloads(model)).toEqual([]);
    expect(net.segmentationLimit).toBe(0);
    expect(net.allocateFrame(ETHERNET + 4000)).toBeUndefined();
    assertNoViolations(machine.violations);
  });

  it.each([
    ["HOST_TSO4 without CSUM", [NetFeature.HostTso4, NetFeature.GuestCsum, NetFeature.GuestTso4], [], [NetFeature.GuestCsum, NetFeature.GuestTso4]],
    ["GUEST_TSO4 without GUEST_CSUM", [NetFeature.Csum, NetFeature.HostTso4, NetFeature.GuestTso4], [], [NetFeature.Csum, NetFeature.HostTso4]],
    ["GUEST_TSO4 without MRG_RXBUF", OFFLOADS, [NetFeature.MrgRxbuf], [NetFeature.Csum, NetFeature.GuestCsum, NetFeature.HostTso4]],
  ])("%s: the offload is left out, the rest still taken", (_name, offer, withhold, expected) => {
    const { machine, model, net } = offloadRig(offer, withhold);
    expect(negotiatedOffloads(model)).toEqual(expected);
    expect(net.segmentationLimit).toBe((expected as number[]).includes(NetFeature.HostTso4) ? 0xffff : 0);
    assertNoViolations(machine.violations);
  });
});

describe("virtio-net TCP segmentation offload (HOST_TSO4)", () => {
  it("hands a 40 KB segment over with gso_type TCPV4, gso_size, hdr_len and NEEDS_CSUM; the device cuts it into MSS segments", () => {
    const { machine, model, net, wire } = offloadRig(OFFLOADS);
    const payload = 40_000;
    const frame = tcpFrame(net.allocateFrame(HEADERS + payload) as Uint8Array, payload, 0x19);
    const original = frame.slice();
    expect(net.transmitAllocated(frame, { start: ETHERNET + IP, offset: 16, segmentSize: MSS, headerLength: HEADERS })).toBe(true);
    net.flush();
    const [header] = model.transmittedHeaders;
    expect([header[HDR.flags], header[HDR.gsoType], le16(header, HDR.hdrLen), le16(header, HDR.gsoSize)]).toEqual([NetHeaderFlag.NeedsCsum, NetGso.TcpV4, HEADERS, MSS]);
    expect([le16(header, HDR.csumStart), le16(header, HDR.csumOffset)]).toEqual([ETHERNET + IP, 16]);
    expect(wire.length).toBe(Math.ceil(payload / MSS));
    expect(model.segmentedSends).toBe(1);
    expect(net.counters.txSegmented).toBe(1);
    const data: number[] = [];
    wire.forEach((segment, n) => {
      expect(be16(segment, ETHERNET + 2)).toBe(segment.length - ETHERNET);
      expect(sum16(segment, ETHERNET, ETHERNET + IP)).toBe(0xffff);
      expect(sum16(segment, HEADERS - TCP, segment.length, sum16(segment, ETHERNET + 12, ETHERNET + 20, 6 + segment.length - HEADERS + TCP))).toBe(0xffff);
      expect(be32(segment, ETHERNET + IP + 4)).toBe(1000 + n * MSS);
      // PSH and FIN belong to the last segment only.
      expect(segment[ETHERNET + IP + 13]).toBe(n === wire.length - 1 ? 0x19 : 0x10);
      data.push(...segment.subarray(HEADERS));
    });
    expect(data).toEqual(Array.from(original.subarray(HEADERS)));
    assertNoViolations(machine.violations);
  });

  it("a frame up to the MTU keeps a plain header in the same slot after a segmented one", () => {
    const small = netRig({ device: { offer: OFFLOADS }, driver: { txBuffers: 1, txBatch: 1 } });
    for (const segmentSize of [MSS, 0, MSS, 0]) {
      const length = 1000;
      const frame = tcpFrame(small.net.allocateFrame(HEADERS + length) as Uint8Array, length);
      small.net.transmitAllocated(frame, { start: ETHERNET + IP, offset: 16, segmentSize, headerLength: HEADERS });
    }
    expect(small.model.transmittedHeaders.map((h) => [h[HDR.gsoType], le16(h, HDR.gsoSize), le16(h, HDR.hdrLen)])).toEqual([
      [NetGso.TcpV4, MSS, HEADERS],
      [NetGso.None, 0, 0],
      [NetGso.TcpV4, MSS, HEADERS],
      [NetGso.None, 0, 0],
    ]);
    assertNoViolations(small.machine.violations);
  });

  it("refuses frames beyond one 64 KiB IPv4 packet, and big frames sent without a segment size", () => {
    const { machine, model, net } = offloadRig(OFFLOADS);
    expect(net.allocateFrame(ETHERNET + 0xffff + 1)).toBeUndefined();
    expect(net.transmit(new Uint8Array(ETHERNET + 0xffff + 1), { start: 34, offset: 16, segmentSize: MSS, headerLength: HEADERS })).toBe(true);
    const big = tcpFrame(net.allocateFrame(HEADERS + 5000) as Uint8Array, 5000);
    expect(net.transmitAllocated(big, { start: 34, offset: 16 })).toBe(true);
    net.flush();
    expect(net.counters.txOversize).toBe(2);
    expect(model.transmitted).toEqual([]);
    assertNoViolations(machine.violations);
  });

  it("uses every big slot, then reports none free until the device has sent one", () => {
    const { net } = netRig({ device: { offer: OFFLOADS }, driver: { segmentedTxBuffers: 2, txBatch: 64 } });
    const send = () => {
      const frame = net.allocateFrame(HEADERS + 3000);
      if (frame === undefined) return false;
      return net.transmitAllocated(tcpFrame(frame, 3000), { start: 34, offset: 16, segmentSize: MSS, headerLength: HEADERS });
    };
    expect([send(), send(), send()]).toEqual([true, true, false]);
    net.flush();
    // Both come back once the device has sent them.
    expect([send(), send(), send()]).toEqual([true, true, false]);
    expect(net.counters.txSegmented).toBe(4);
  });

  it("copies a segmented frame handed to transmit() into its (single) big slot; the largest one fits", () => {
    // Three regular slots leave the regular slab short of a page boundary: the big slab is elsewhere.
    const { machine, model, net } = netRig({ device: { offer: OFFLOADS }, driver: { txBuffers: 3, segmentedTxBuffers: 1 } });
    const wire: Uint8Array[] = [];
    model.onTransmit = (segment) => wire.push(segment);
    const payload = 20_000;
    const frame = tcpFrame(new Uint8Array(HEADERS + payload), payload);
    expect(net.transmit(frame, { start: ETHERNET + IP, offset: 16, segmentSize: MSS, headerLength: HEADERS })).toBe(true);
    net.flush();
    expect(model.segmentedSends).toBe(1);
    expect(Array.from(model.transmitted[0])).toEqual(Array.from(frame));
    expect(wire.length).toBe(Math.ceil(payload / MSS));
    expect(net.counters.txOversize).toBe(0);
    expect(net.allocateFrame(ETHERNET + 0xffff)?.length).toBe(ETHERNET + 0xffff);
    assertNoViolations(machine.violations);
  });

  it("a frame beyond the MTU without a segment size is consumed as oversized even while every big slot is in flight", () => {
    const { machine, model, net } = netRig({ device: { offer: OFFLOADS }, driver: { segmentedTxBuffers: 1, txBatch: 64 } });
    model.holdCompletions = true;
    const big = tcpFrame(net.allocateFrame(HEADERS + 3000) as Uint8Array, 3000);
    expect(net.transmitAllocated(big, { start: 34, offset: 16, segmentSize: MSS, headerLength: HEADERS })).toBe(true);
    net.flush();
    const unsegmented = tcpFrame(new Uint8Array(HEADERS + 3000), 3000);
    expect(net.transmit(unsegmented, { start: 34, offset: 16, segmentSize: 0 })).toBe(true);
    expect(net.transmit(unsegmented)).toBe(true);
    expect(net.counters.txOversize).toBe(2);
    expect(net.counters.txRingFull).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("a big frame that finds the ring full of small ones is refused as back-pressure and goes out once there is room", () => {
    const { machine, model, net } = netRig({ device: { offer: OFFLOADS, queueSize: 16 }, driver: { txBatch: 64 } });
    model.holdCompletions = true;
    for (let i = 0; i < 16; i++) expect(net.transmit(tcpFrame(new Uint8Array(HEADERS + 100), 100))).toBe(true);
    net.flush();
    const offload = { start: 34, offset: 16, segmentSize: MSS, headerLength: HEADERS };
    const big = tcpFrame(net.allocateFrame(HEADERS + 3000) as Uint8Array, 3000);
    expect(net.transmitAllocated(big, offload)).toBe(false);
    expect(net.counters).toMatchObject({ txRingFull: 1, txFrames: 16, txSegmented: 0 });
    let ready = 0;
    net.onTransmitReady(() => ready++);
    model.holdCompletions = false;
    model.releaseHeld(NetQueue.Tx);
    net.poll();
    expect(ready).toBe(1);
    const again = tcpFrame(net.allocateFrame(HEADERS + 3000) as Uint8Array, 3000);
    expect(net.transmitAllocated(again, offload)).toBe(true);
    net.flush();
    expect(model.segmentedSends).toBe(1);
    expect(net.counters).toMatchObject({ txFrames: 17, txSegmented: 1 });
    assertNoViolations(machine.violations);
  });

  it("with CSUM but no HOST_TSO4, a segment size is not passed on: the frame goes out with its checksum only", () => {
    const { machine, model, net, wire } = offloadRig([NetFeature.Csum]);
    expect(net.segmentationLimit).toBe(0);
    const frame = tcpFrame(new Uint8Array(HEADERS + 1000), 1000);
    expect(net.transmit(frame, { start: ETHERNET + IP, offset: 16, segmentSize: MSS, headerLength: HEADERS })).toBe(true);
    net.flush();
    const [header] = model.transmittedHeaders;
    expect([header[HDR.flags], header[HDR.gsoType], le16(header, HDR.gsoSize)]).toEqual([NetHeaderFlag.NeedsCsum, NetGso.None, 0]);
    expect(wire.length).toBe(1);
    expect(net.counters.txOversize).toBe(0);
    assertNoViolations(machine.violations);
  });
});

describe("the simulator judges the driver's segmentation headers (5.1.6.2.1)", () => {
  /** Publishes a frame, then rewrites its header in DMA memory before the device is notified. */
  function corrupt(offer: number[], segmentSize: number, edit: (header: DataView) => void): string[] {
    const { machine, net, wire } = offloadRig(offer);
    const payload = 4000;
    const frame = tcpFrame(net.allocateFrame(HEADERS + (segmentSize > 0 ? payload : 1000)) as Uint8Array, segmentSize > 0 ? payload : 1000);
    net.transmitAllocated(frame, { start: ETHERNET + IP, offset: 16, segmentSize, headerLength: HEADERS });
    const header = headerOf(frame, 12);
    edit(new DataView(header.buffer, header.byteOffset, header.byteLength));
    net.flush();
    expect(wire).toEqual([]);
    return machine.violations.entries;
  }

  it.each([
    ["gso_type without HOST_TSO4", [NetFeature.Csum], 0, (h: DataView) => (h.setUint8(HDR.gsoType, NetGso.TcpV4), h.setUint16(HDR.gsoSize, MSS, true)), /gso_type 1 without the offload negotiated/],
    ["the ECN bit without HOST_ECN", OFFLOADS, MSS, (h: DataView) => h.setUint8(HDR.gsoType, NetGso.TcpV4 | NetGso.Ecn), /ECN bit without HOST_ECN/],
    ["gso_type without NEEDS_CSUM", OFFLOADS, MSS, (h: DataView) => h.setUint8(HDR.flags, 0), /without NEEDS_CSUM/],
    ["gso_size 0", OFFLOADS, MSS, (h: DataView) => h.setUint16(HDR.gsoSize, 0, true), /gso_size 0/],
    ["hdr_len short of the headers", OFFLOADS, MSS, (h: DataView) => h.setUint16(HDR.hdrLen, ETHERNET + IP, true), /hdr_len 34 is less than the 54 bytes/],
    ["csum_start off the TCP header", OFFLOADS, MSS, (h: DataView) => h.setUint16(HDR.csumStart, ETHERNET, true), /csum_start 14/],
  ])("%s", (_name, offer, segmentSize, edit, pattern) => {
    const entries = corrupt(offer, segmentSize, edit);
    expect(entries.join("\n")).toMatch(pattern);
  });

  it("a TCP checksum field that does not hold the pseudo-header sum", () => {
    const { machine, net } = offloadRig(OFFLOADS);
    const frame = tcpFrame(net.allocateFrame(HEADERS + 4000) as Uint8Array, 4000);
    frame[ETHERNET + IP + 16] ^= 0x40;
    net.transmitAllocated(frame, { start: ETHERNET + IP, offset: 16, segmentSize: MSS, headerLength: HEADERS });
    net.flush();
    expect(machine.violations.entries.join("\n")).toMatch(/TCP checksum field does not hold the pseudo-header sum/);
  });

  it("a segmented frame that is more than one IPv4 packet", () => {
    const { machine, net } = offloadRig(OFFLOADS);
    const frame = tcpFrame(net.allocateFrame(HEADERS + 4000) as Uint8Array, 4000);
    // The IPv4 total length covers less than the frame: trailing bytes no packet owns.
    frame[ETHERNET + 2] = 0;
    frame[ETHERNET + 3] = IP + TCP + 100;
    net.transmitAllocated(frame, { start: ETHERNET + IP, offset: 16, segmentSize: MSS, headerLength: HEADERS });
    net.flush();
    expect(machine.violations.entries.join("\n")).toMatch(/is not one IPv4 packet of at most 64 KiB/);
  });
});

describe("virtio-net large receives (GUEST_TSO4)", () => {
  const LARGE = 60_000;
  const segmentedHeader = { flags: NetHeaderFlag.NeedsCsum, gsoType: NetGso.TcpV4, gsoSize: MSS, hdrLen: HEADERS, csumStart: ETHERNET + IP, csumOffset: 16 };

  it("takes a coalesced 60 KB TCP segment spread over merged buffers, checksum trusted", () => {
    const { machine, model, net, received } = offloadRig(OFFLOADS);
    const frame = tcpFrame(new Uint8Array(HEADERS + LARGE), LARGE);
    expect(model.injectFrame(frame, segmentedHeader)).toBe(true);
    net.poll();
    expect(received.length).toBe(1);
    expect(received[0].frame).toEqual(Array.from(frame));
    expect(received[0].info.checksumValidated).toBe(true);
    expect(net.counters.rxSegmented).toBe(1);
    expect(net.counters.rxBadHeader + net.counters.deviceErrors).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("without GUEST_TSO4, drops a segment the device should not have coalesced, and carries on", () => {
    const { model, net, received } = offloadRig([NetFeature.Csum, NetFeature.GuestCsum]);
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + LARGE), LARGE), segmentedHeader);
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + 100), 100));
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([HEADERS + 100]);
    expect(net.counters.lastDeviceError).toMatchObject({ code: "gso-type", detail: "rx queue 0: gso_type 1 was not negotiated" });
    expect(net.counters.rxSegmented).toBe(0);
  });

  it("takes a coalesced segment in a single buffer, and one whose gso_size has a zero low byte", () => {
    const { machine, model, net, received } = offloadRig(OFFLOADS);
    const frame = tcpFrame(new Uint8Array(HEADERS + 1000), 1000);
    model.injectFrame(frame, segmentedHeader);
    model.injectFrame(frame, { ...segmentedHeader, gsoSize: 0x500 });
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([HEADERS + 1000, HEADERS + 1000]);
    expect(net.counters).toMatchObject({ rxSegmented: 2, rxMerged: 0, rxBadHeader: 0 });
    assertNoViolations(machine.violations);
  });

  it("a plain frame spread over merged buffers is not counted as a coalesced segment", () => {
    const { model, net, received } = offloadRig(OFFLOADS);
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + 1000), 1000), { maxBufferBytes: 300 });
    net.poll();
    expect(received.length).toBe(1);
    expect(net.counters).toMatchObject({ rxMerged: 1, rxSegmented: 0 });
  });

  it.each([
    ["gso_type TCPV4 without NEEDS_CSUM", { ...segmentedHeader, flags: NetHeaderFlag.DataValid }, "gso-header", `gso_type TCPV4 with flags ${NetHeaderFlag.DataValid} and gso_size ${MSS}`],
    ["gso_type TCPV4 with gso_size 0", { ...segmentedHeader, gsoSize: 0 }, "gso-header", `gso_type TCPV4 with flags ${NetHeaderFlag.NeedsCsum} and gso_size 0`],
    ["gso_type TCPV6 (not negotiated)", { ...segmentedHeader, gsoType: NetGso.TcpV6 }, "gso-type", `gso_type ${NetGso.TcpV6} was not negotiated`],
    ["gso_type with the ECN bit (GUEST_ECN not negotiated)", { ...segmentedHeader, gsoType: NetGso.TcpV4 | NetGso.Ecn }, "gso-type", `gso_type ${NetGso.TcpV4 | NetGso.Ecn} was not negotiated`],
  ])("drops and counts %s", (_name, header, code, detail) => {
    const { model, net, received } = offloadRig(OFFLOADS);
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + LARGE), LARGE), header);
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + 100), 100));
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([HEADERS + 100]);
    expect(net.counters.lastDeviceError).toMatchObject({ code, detail: `rx queue 0: ${detail}` });
    expect(net.counters.rxBadHeader).toBeGreaterThan(0);
  });

  it("drops a frame beyond the MTU without gso_type, and bogus num_buffers, then carries on", () => {
    const { model, net, received } = offloadRig(OFFLOADS);
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + 3000), 3000));
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + 100), 100), { numBuffers: 0 });
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + 100), 100), { numBuffers: 1000 });
    net.poll();
    expect(received).toEqual([]);
    expect(net.counters.rxBadHeader).toBe(3);
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + LARGE), LARGE), segmentedHeader);
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([HEADERS + LARGE]);
  });

  it("takes a coalesced frame of one 64 KiB IPv4 packet behind a VLAN-tagged Ethernet header", () => {
    const { machine, model, net, received } = offloadRig(OFFLOADS);
    const largest = new Uint8Array(ETHERNET + 4 + 0xffff);
    tcpFrame(largest, 1000);
    expect(model.injectFrame(largest, segmentedHeader)).toBe(true);
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([ETHERNET + 4 + 0xffff]);
    expect(net.counters.rxBadHeader).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("drops a coalesced frame beyond one 64 KiB IPv4 packet", () => {
    const { model, net, received } = offloadRig(OFFLOADS);
    const oversized = new Uint8Array(ETHERNET + 4 + 0xffff + 1);
    tcpFrame(oversized, 1000);
    model.injectFrame(oversized, segmentedHeader);
    model.injectFrame(tcpFrame(new Uint8Array(HEADERS + 100), 100));
    net.poll();
    expect(received.map((r) => r.frame.length)).toEqual([HEADERS + 100]);
    expect(net.counters.rxBadHeader).toBe(1);
  });
});
