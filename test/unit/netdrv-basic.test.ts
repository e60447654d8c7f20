// virtio-net driver: attach, MAC, header sizes per interface, receive and transmit, short frames.
import { describe, expect, it } from "vitest";
import { FeatureBit } from "../../drivers/virtio/features";
import { VirtioConfigError, VirtioFeatureError, VirtioQueueError } from "../../drivers/virtio/errors";
import { assertNoViolations } from "../sim/violations";
import { NetFeature, NetQueue } from "../sim/virtio/net-model";
import { GUEST_MAC, ManualLoop, frameTo, netRig } from "./netdrv-harness";

describe("virtio-net attach", () => {
  it("reads the MAC, MTU and link state and reports itself ready", () => {
    const { machine, net, probed } = netRig({ device: { mtu: 1400 } });
    expect(probed.state).toBe("ready");
    expect(probed.driver?.name).toBe("virtio-net");
    expect(Array.from(net.mac)).toEqual(GUEST_MAC);
    expect(net.mtu).toBe(1400);
    expect(net.linkUp).toBe(true);
    expect(net.layout.headerSize).toBe(12);
    assertNoViolations(machine.violations);
  });

  it("makes up a locally administered unicast MAC when the device has none", () => {
    const { machine, net } = netRig({ device: { withhold: [NetFeature.Mac] }, driver: { random: (bytes) => bytes.fill(0xff) } });
    expect(Array.from(net.mac)).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assertNoViolations(machine.violations);
  });

  it("fails the device on an MTU outside the spec's range, naming the field", () => {
    const { probed } = netRig({ device: { mtu: 20 } });
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioConfigError);
    expect(probed.error?.code).toBe("mtu");
  });

  it("fails the device when it offers MQ without a control queue", () => {
    const { probed } = netRig({ device: { offer: [NetFeature.Mq], withhold: [NetFeature.CtrlVq, NetFeature.CtrlRx] } });
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioFeatureError);
    expect(probed.error).toMatchObject({ deviceName: "00:04.0", code: "ctrl-vq-missing", detail: `feature ${NetFeature.Mq} offered without CTRL_VQ` });
  });
});

describe("virtio-net header size and layout", () => {
  it.each([
    ["modern", "modern", [], [], 12, false],
    ["legacy with MRG_RXBUF", "legacy", [], [FeatureBit.AnyLayout], 12, false],
    ["legacy without MRG_RXBUF", "legacy", [NetFeature.MrgRxbuf], [FeatureBit.AnyLayout], 10, false],
    ["legacy without ANY_LAYOUT (header in its own descriptor)", "legacy", [NetFeature.MrgRxbuf], [], 10, true],
  ] as const)("%s (%s interface): %i-byte header, frames both ways", (_name, layout, withhold, offer, headerSize, split) => {
    const { machine, model, net, received } = netRig({ layout, device: { withhold, offer } });
    expect(net.layout.headerSize).toBe(headerSize);
    expect(model.headerSize).toBe(headerSize);
    expect(net.layout.splitHeader).toBe(split);
    const outgoing = frameTo([2, 0, 0, 0, 0, 1], 100);
    expect(net.transmit(outgoing)).toBe(true);
    net.flush();
    expect(model.transmitted.map((f) => Array.from(f))).toEqual([Array.from(outgoing)]);
    const incoming = frameTo(GUEST_MAC, 1500);
    expect(model.injectFrame(incoming)).toBe(true);
    net.poll();
    expect(received.map((r) => r.frame)).toEqual([Array.from(incoming)]);
    assertNoViolations(machine.violations);
  });
});

describe("virtio-net receive", () => {
  it("re-posts every buffer after use and counts frames and bytes", () => {
    const { machine, model, net, received } = netRig({ driver: { rxBuffers: 8 } });
    expect(model.postedRxBuffers).toBe(8);
    // Eight buffers: the device holds at most eight frames between polls.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 8; i++) expect(model.injectFrame(frameTo(GUEST_MAC, 60 + i))).toBe(true);
      expect(model.injectFrame(frameTo(GUEST_MAC, 60))).toBe(false);
      net.poll();
      expect(model.postedRxBuffers).toBe(8);
    }
    expect(received.length).toBe(24);
    expect(model.rxDropped).toBe(3);
    expect(net.counters.rxFrames).toBe(received.length);
    expect(net.counters.rxBytes).toBe(received.reduce((n, r) => n + r.frame.length, 0));
    for (const length of [50, 70]) expect(net.transmit(frameTo(GUEST_MAC, length))).toBe(true);
    net.flush();
    net.flush();
    expect(net.counters).toMatchObject({ txFrames: 2, txBytes: 14 + 50 + 14 + 70, txKicks: 1 });
    expect(model.transmitted.length).toBe(2);
    assertNoViolations(machine.violations);
  });

  it("drops and counts frames shorter than the header plus an Ethernet header", () => {
    const { machine, model, net, received } = netRig();
    model.injectRaw(new Uint8Array(12), 8);
    model.injectRaw(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, ...new Array(13).fill(1)]));
    model.injectFrame(frameTo(GUEST_MAC, 0).subarray(0, 13));
    net.poll();
    expect(received).toEqual([]);
    expect(net.counters.rxShort).toBe(3);
    expect(model.postedRxBuffers).toBe(256);
    assertNoViolations(machine.violations);
  });

  it("counts a gso_type it never negotiated as a bad header", () => {
    const { model, net, received } = netRig();
    model.injectFrame(frameTo(GUEST_MAC, 64), { gsoType: 1 });
    net.poll();
    expect(received).toEqual([]);
    expect(net.counters.rxBadHeader).toBe(1);
    expect(net.counters.lastDeviceError?.code).toBe("gso-type");
    expect(net.counters.lastDeviceError?.message).toContain("00:04.0");
  });

  it("counts frames that arrive before a handler is set", () => {
    const { model, net } = netRig({ listen: false });
    model.injectFrame(frameTo(GUEST_MAC, 64));
    net.poll();
    expect(net.counters.rxNoHandler).toBe(1);
  });

  it("polls from the event loop once a handler is set, until closed", () => {
    const loop = new ManualLoop();
    const { model, net, received } = netRig({ driver: { loop }, listen: false });
    expect(loop.pollers.size).toBe(0);
    net.onReceive((frame) => received.push({ frame: Array.from(frame), info: { checksumValidated: false } }));
    expect(loop.pollers.size).toBe(1);
    model.injectFrame(frameTo(GUEST_MAC, 64));
    loop.turn();
    expect(received.length).toBe(1);
    net.close();
    expect(loop.pollers.size).toBe(0);
  });
});

describe("virtio-net rings", () => {
  it("sizes its rings itself: 256 entries for receive and transmit, 16 for control, however large the device's", () => {
    const { machine, model } = netRig({ device: { queueSize: 1024 } });
    expect([model.queues[NetQueue.Rx].size, model.queues[NetQueue.Tx].size, model.queues[NetQueue.Ctrl].size]).toEqual([256, 256, 16]);
    assertNoViolations(machine.violations);
  });

  it("works with a fixed legacy ring of two entries that holds one two-descriptor buffer; one entry fails the device", () => {
    const device = { queueSize: 2, indirect: false, withhold: [NetFeature.MrgRxbuf] };
    const { machine, model, net, received } = netRig({ layout: "legacy", device });
    expect(net.layout.descriptorsPerBuffer).toBe(2);
    expect(net.transmit(frameTo([2, 0, 0, 0, 0, 1], 50))).toBe(true);
    net.flush();
    expect(model.transmitted.length).toBe(1);
    expect(model.injectFrame(frameTo(GUEST_MAC, 50))).toBe(true);
    net.poll();
    expect(received.length).toBe(1);
    assertNoViolations(machine.violations);

    const { probed } = netRig({ layout: "legacy", device: { ...device, queueSize: 1 } });
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioQueueError);
    expect(probed.error).toMatchObject({ deviceName: "00:04.0", code: "queue-size", detail: "queue 0 of 1 entries cannot hold a 2-descriptor buffer" });
  });
});
