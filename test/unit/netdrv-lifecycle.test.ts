// virtio-net driver over the device lifecycle: a detach or a broken ring stops the link for good
// (it reads down, sends and receives nothing, hears of no more changes); reset() brings a new
// instance; link changes reach the handler only when the link state itself changed.
import { describe, expect, it } from "vitest";
import { VirtioConfigError, VirtioUsageError } from "../../drivers/virtio/errors";
import { VirtioNet } from "../../drivers/virtio/net/net";
import { virtio_net_config } from "../sim/virtio/spec/net";
import { assertNoViolations } from "../sim/violations";
import { GUEST_MAC, PEER_MAC, frameTo, netRig } from "./netdrv-harness";
import { caught } from "../harness/caught";

describe("virtio-net detach", () => {
  it("stops the link: it reads down, the handler hears it once, nothing more is sent", () => {
    const { model, net, probed } = netRig();
    const seen: boolean[] = [];
    net.onLinkChange((up) => seen.push(up));
    const frame = net.allocateFrame(64) as Uint8Array;
    frame.set(frameTo(PEER_MAC, 50));
    probed.device?.detach();
    expect(net.linkUp).toBe(false);
    expect(seen).toEqual([false]);
    expect(net.counters.linkChanges).toBe(1);
    expect(net.transmitAllocated(frame)).toBe(false);
    expect(net.transmit(frameTo(PEER_MAC, 50))).toBe(false);
    expect(net.allocateFrame(64)).toBeUndefined();
    net.flush();
    net.poll();
    expect(model.transmitted).toEqual([]);
  });

  it("of a device whose link is down tells the handler nothing", () => {
    const { net, probed } = netRig({ device: { linkUp: false } });
    const seen: boolean[] = [];
    net.onLinkChange((up) => seen.push(up));
    probed.device?.detach();
    expect(net.linkUp).toBe(false);
    expect(seen).toEqual([]);
    expect(net.counters.linkChanges).toBe(0);
  });
});

describe("virtio-net after a broken ring", () => {
  it("a receive that finds the ring broken stops the link before frames queued for sending are announced", () => {
    const { model, net } = netRig({ driver: { txBatch: 8 } });
    const seen: boolean[] = [];
    net.onLinkChange((up) => seen.push(up));
    const broken: Error[] = [];
    net.onBroken = (error) => broken.push(error);
    expect(net.transmit(frameTo(PEER_MAC, 50))).toBe(true);
    model.faults.usedId = "out-of-range";
    model.injectFrame(frameTo(GUEST_MAC, 50));
    net.poll();
    expect(broken.length).toBe(1);
    expect(net.linkUp).toBe(false);
    expect(seen).toEqual([false]);
    expect(net.counters.linkChanges).toBe(1);
    net.flush();
    expect(model.transmitted).toEqual([]);
  });

  it("a transmit slot reclaimed before the broken entry is not handed out; then nothing is received and no configuration change is taken", () => {
    const { model, net, probed } = netRig({ driver: { txBuffers: 2, txBatch: 1 } });
    const seen: boolean[] = [];
    net.onLinkChange((up) => seen.push(up));
    expect(net.transmit(frameTo(PEER_MAC, 50))).toBe(true);
    model.faults.usedId = "out-of-range";
    expect(net.transmit(frameTo(PEER_MAC, 50))).toBe(true);
    model.faults.usedId = "ok";
    // No slot free: reclaiming takes the good completion, then meets the broken one.
    expect(net.allocateFrame(64)).toBeUndefined();
    expect(probed.device?.queues[1].broken).toBeDefined();
    expect(seen).toEqual([false]);
    model.injectFrame(frameTo(GUEST_MAC, 50));
    net.poll();
    expect(net.counters.rxFrames + net.counters.rxNoHandler).toBe(0);
    model.setLinkUp(false);
    model.setLinkUp(true);
    probed.device?.checkConfig();
    expect(net.linkUp).toBe(false);
    expect(seen).toEqual([false]);
  });
});

describe("virtio-net reset", () => {
  it("brings a new instance; the old one can no longer reset the device", () => {
    const { machine, model, net } = netRig();
    const fresh = net.reset();
    expect(fresh).toBeInstanceOf(VirtioNet);
    expect(fresh === net).toBe(false);
    expect(fresh.linkUp).toBe(true);
    const error = caught(() => net.reset());
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ deviceName: "00:04.0", code: "reset", detail: "this driver instance no longer serves the device" });
    expect(fresh.transmit(frameTo(PEER_MAC, 50))).toBe(true);
    fresh.flush();
    expect(model.transmitted.length).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("throws the device's own error when it does not come back", () => {
    const { model, net, probed } = netRig();
    model.changeConfig((view) => view.setUint16(virtio_net_config.mtu.offset, 20, true));
    const error = caught(() => net.reset());
    expect(error).toBeInstanceOf(VirtioConfigError);
    expect(error).toMatchObject({ code: "mtu" });
    expect(probed.state).toBe("failed");
  });
});

describe("virtio-net link changes", () => {
  it("are followed without a link handler", () => {
    const { model, net, probed } = netRig();
    model.setLinkUp(false);
    expect(() => net.poll()).not.toThrow();
    expect(net.linkUp).toBe(false);
    expect(net.counters.linkChanges).toBe(1);
    expect(probed.device?.configErrors).toBe(0);
  });

  it("a configuration change that leaves the link as it was is not one", () => {
    const { model, net } = netRig();
    const seen: boolean[] = [];
    net.onLinkChange((up) => seen.push(up));
    model.changeConfig((view) => view.setUint8(virtio_net_config.mac.offset + 5, 0x99));
    net.poll();
    expect(seen).toEqual([]);
    expect(net.counters.linkChanges).toBe(0);
    expect(net.linkUp).toBe(true);
  });
});
