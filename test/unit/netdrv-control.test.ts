// virtio-net driver: control queue commands (acks, MAC_ADDR_SET, receive modes) and multiqueue.
import { describe, expect, it } from "vitest";
import { VirtioDeviceError, VirtioRingBrokenError, VirtioUsageError } from "../../drivers/virtio/errors";
import { MAX_CONTROL_DATA, NetControl } from "../../drivers/virtio/net/control";
import { VirtioNetCounters } from "../../drivers/virtio/net/counters";
import type { Virtqueue } from "../../drivers/virtio/ring/virtqueue";
import { NetControlError } from "../../drivers/virtio/net/errors";
import { assertNoViolations } from "../sim/violations";
import { NET_CTRL_ERR, NetCtrl, NetFeature } from "../sim/virtio/net-model";
import { frameTo, netRig } from "./netdrv-harness";
import { caught } from "../harness/caught";

const NEW_MAC = [0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc];

describe("virtio-net control queue", () => {
  it("sets promiscuous and all-multicast modes (ack OK)", () => {
    const { machine, model, net } = netRig();
    net.setPromiscuous(true);
    net.setAllMulticast(true);
    expect(model.promiscuous).toBe(true);
    expect(model.allMulticast).toBe(true);
    net.setPromiscuous(false);
    expect(model.promiscuous).toBe(false);
    expect(net.counters.ctrlCommands).toBe(3);
    expect(net.counters.ctrlErrors).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("turns an ERR ack into a NetControlError naming the device and command", () => {
    const { model, net } = netRig();
    model.controlAck = NET_CTRL_ERR;
    expect(() => net.setPromiscuous(true)).toThrow(NetControlError);
    expect(() => net.setAllMulticast(true)).toThrow(/00:04\.0: ctrl-err: rx allmulti: device answered ERR/);
    expect(net.counters.ctrlErrors).toBe(2);
    // The queue stays usable.
    model.controlAck = undefined;
    net.setPromiscuous(true);
    expect(model.promiscuous).toBe(true);
  });

  it("rejects an ack byte that is neither OK nor ERR as a device error", () => {
    const { model, net } = netRig();
    model.controlAck = 7;
    expect(() => net.setPromiscuous(true)).toThrow(VirtioDeviceError);
    expect(net.counters.lastDeviceError?.code).toBe("ctrl-ack");
  });

  it("refuses receive-mode commands the device did not offer, naming the device and the command", () => {
    const { model, net } = netRig({ device: { withhold: [NetFeature.CtrlRx] } });
    const error = caught(() => net.setPromiscuous(true));
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ deviceName: "00:04.0", code: "ctrl-rx", detail: "rx promisc: CTRL_RX not negotiated" });
    expect(model.controlCommands).toEqual([]);
  });

  it("MAC_ADDR_SET changes the MAC in place without a reset; frames then leave with it", () => {
    const { machine, model, net } = netRig({ device: { offer: [NetFeature.CtrlMacAddr] } });
    const mac = net.mac;
    const announced: boolean[] = [];
    net.onLinkChange((up) => announced.push(up));
    net.setMac(NEW_MAC);
    expect(net.mac).toBe(mac);
    expect(Array.from(mac)).toEqual(NEW_MAC);
    expect(model.mac).toEqual(NEW_MAC);
    expect(model.controlCommands.at(-1)).toEqual({ cls: NetCtrl.ClassMac, cmd: NetCtrl.MacAddrSet, data: NEW_MAC });
    expect(announced).toEqual([true]);
    expect(model.driverOk).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("announces a new MAC only while the link is up", () => {
    const { model, net } = netRig({ device: { offer: [NetFeature.CtrlMacAddr], linkUp: false } });
    const announced: boolean[] = [];
    net.onLinkChange((up) => announced.push(up));
    net.setMac(NEW_MAC);
    expect(model.mac).toEqual(NEW_MAC);
    expect(announced).toEqual([]);
  });

  it("leaves the MAC alone when MAC_ADDR_SET is refused", () => {
    const { model, net } = netRig({ device: { offer: [NetFeature.CtrlMacAddr] } });
    model.controlAck = NET_CTRL_ERR;
    const error = caught(() => net.setMac(NEW_MAC));
    expect(error).toBeInstanceOf(NetControlError);
    expect(error).toMatchObject({ deviceName: "00:04.0", command: "mac addr-set", code: "ctrl-err" });
    expect(Array.from(net.mac)).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  });

  it("on a legacy interface without CTRL_MAC_ADDR, writes the configuration MAC", () => {
    const { machine, model, net } = netRig({ layout: "legacy" });
    net.setMac(NEW_MAC);
    expect(model.mac).toEqual(NEW_MAC);
    expect(Array.from(net.mac)).toEqual(NEW_MAC);
    expect(model.controlCommands).toEqual([]);
    assertNoViolations(machine.violations);
  });

  it("on a modern interface without CTRL_MAC_ADDR, refuses (the configuration MAC is read-only)", () => {
    const { model, net } = netRig();
    expect(caught(() => net.setMac(NEW_MAC))).toMatchObject({ deviceName: "00:04.0", code: "mac-set", detail: "no CTRL_MAC_ADDR and the configuration MAC is read-only" });
    expect(model.mac).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  });

  it("rejects a multicast or short MAC", () => {
    const { net } = netRig({ device: { offer: [NetFeature.CtrlMacAddr] } });
    for (const bad of [[0x01, 0, 0, 0, 0, 1], [2, 0, 0]]) {
      const error = caught(() => net.setMac(bad));
      expect(error).toBeInstanceOf(VirtioUsageError);
      expect(error).toMatchObject({ deviceName: "00:04.0", code: "mac", detail: "a MAC address is six bytes and unicast" });
    }
  });

  it("without a control queue, control operations are usage errors", () => {
    const { machine, net, probed } = netRig({ device: { withhold: [NetFeature.CtrlVq, NetFeature.CtrlRx] } });
    expect(probed.state).toBe("ready");
    expect(() => net.setPromiscuous(true)).toThrow(VirtioUsageError);
    assertNoViolations(machine.violations);
  });
});

describe("virtio-net control commands and the queue under them", () => {
  it("a command whose answer breaks the control ring fails at once with the ring's error, and the link stops", () => {
    const { machine, model, net } = netRig({ driver: { controlTimeoutNs: 1_000_000_000 } });
    model.faults.usedId = "out-of-range";
    const started = machine.monotonicNs();
    const error = caught(() => net.setPromiscuous(true));
    expect(error).toBeInstanceOf(VirtioRingBrokenError);
    expect(machine.monotonicNs() - started).toBeLessThan(1_000_000_000);
    expect(net.linkUp).toBe(false);
  });

  it("a control ring too small for a command's three descriptors refuses each command, publishing nothing", () => {
    const { model, net, probed } = netRig({ layout: "legacy", device: { indirect: false, controlQueueSize: 2 } });
    expect(probed.state).toBe("ready");
    const error = caught(() => net.setPromiscuous(true));
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ deviceName: "00:04.0", code: "ctrl-ring", detail: "rx promisc: control queue cannot take the command" });
    expect(model.controlCommands).toEqual([]);
    expect(net.counters.ctrlCommands).toBe(0);
  });

  it("data up to the command region's size goes to the device; more is refused before anything is published", () => {
    const { model, probed } = netRig();
    const device = probed.device;
    if (device === undefined) throw new Error("no device");
    const control = new NetControl(device, device.queues[2] as Virtqueue<number>, new VirtioNetCounters(), 1_000_000_000);
    const table = Array.from({ length: MAX_CONTROL_DATA }, (_, i) => i);
    control.run(NetCtrl.ClassMac, NetCtrl.MacTableSet, table, "mac table-set");
    expect(model.controlCommands.at(-1)).toEqual({ cls: NetCtrl.ClassMac, cmd: NetCtrl.MacTableSet, data: table });
    const error = caught(() => control.run(NetCtrl.ClassMac, NetCtrl.MacTableSet, [...table, 0], "mac table-set"));
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ deviceName: "00:04.0", code: "ctrl-data", detail: `mac table-set: ${MAX_CONTROL_DATA + 1} data bytes` });
    expect(model.controlCommands.length).toBe(1);
  });
});

describe("virtio-net multiqueue", () => {
  it("uses the control queue after every pair and selects one pair", () => {
    const { machine, model, net, received } = netRig({ device: { offer: [NetFeature.Mq], pairs: 4 } });
    expect(net.maxPairs).toBe(4);
    expect(model.controlQueue).toBe(8);
    expect(model.controlCommands[0]).toEqual({ cls: NetCtrl.ClassMq, cmd: NetCtrl.MqPairsSet, data: [1, 0] });
    expect(model.pairsInUse).toBe(1);
    model.injectFrame(frameTo(Array.from(net.mac), 64));
    net.poll();
    expect(received.length).toBe(1);
    net.setPromiscuous(true);
    expect(model.promiscuous).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("fails the device when it refuses the one-pair selection, naming the command", () => {
    const { probed } = netRig({ device: { offer: [NetFeature.Mq], pairs: 2 }, beforeProbe: (model) => (model.controlAck = NET_CTRL_ERR) });
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(NetControlError);
    expect(probed.error).toMatchObject({ deviceName: "00:04.0", command: "mq vq-pairs-set" });
  });

  it("fails the device when max_virtqueue_pairs is 0", () => {
    const { probed } = netRig({ device: { offer: [NetFeature.Mq], pairs: 0 } });
    expect(probed.state).toBe("failed");
    expect(probed.error?.code).toBe("max-virtqueue-pairs");
  });
});
