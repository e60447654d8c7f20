// A queue the device corrupts breaks at the first impossible used entry: its driver hears of it
// once, what was in flight fails with VirtioRingBrokenError, nothing more goes to the ring, and
// the device can be recovered (reset, renegotiated, queues and driver instance made anew).
import { describe, expect, it } from "vitest";
import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { VirtioRingBrokenError, type VirtioError } from "../../drivers/virtio/errors";
import type { VirtioNet } from "../../drivers/virtio/net/net";
import { probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { virtioRngDriver, type VirtioRng } from "../../drivers/virtio/rng/rng";
import { DeviceStatus } from "../../drivers/virtio/status";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { blkReadSector } from "../harness/blk-read";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { run, simDisk } from "./blk-harness";
import { GUEST_MAC, PEER_MAC, frameTo, netRig } from "./netdrv-harness";

describe("a broken ring", () => {
  it("virtio-blk: fails what was in flight, tells the driver once, refuses new requests, and recovers", async () => {
    const { blk, probe, machine, model } = simDisk({ sectors: 64 });
    const device = probe.devices[0].device!;
    const told: VirtioError[] = [];
    blk.onDeviceError = (error) => told.push(error);
    // Driven below the block layer, which would reset the device itself (block-recovery tests).
    const failed: unknown[] = [];
    blk.onComplete = (_slot, error) => failed.push(error);
    const buffer = machine.allocDma(1024);
    model.faults.usedId = "out-of-range";
    blk.submitRead(0, buffer.physical, 512);
    blk.submitRead(1, buffer.physical + 512, 512);
    blk.kick();
    blk.complete();
    machine.freeDma(buffer);
    expect(failed).toHaveLength(2);
    for (const error of failed) expect(error).toBeInstanceOf(VirtioRingBrokenError);
    expect(told).toHaveLength(1);
    expect(told[0]).toBeInstanceOf(VirtioRingBrokenError);
    expect(told[0].code).toBe("used-id");
    expect(blk.inFlight).toBe(0);
    expect(() => blk.submitRead(0, 0, 512)).toThrow(VirtioRingBrokenError);
    expect(device.state).toBe("ready");

    model.faults.usedId = "ok";
    model.disk.fill(0x3c, 512, 1024);
    expect(device.recover()).toBe(true);
    const fresh = device.instance as VirtioBlk;
    expect(fresh === blk).toBe(false);
    expect(fresh.serial).toBe(blk.serial);
    expect(blkReadSector(machine, fresh, 1)).toEqual(new Uint8Array(512).fill(0x3c));
    expect(device.transport.getStatus() & DeviceStatus.DriverOk).toBe(DeviceStatus.DriverOk);
    assertNoViolations(machine.violations);
  });

  it("virtio-blk: an oversized used length is no break", async () => {
    const { blk, model, loop, disk } = simDisk({ sectors: 64 });
    model.faults.usedLengthExtra = 7;
    await run(loop, disk.read(0, new Uint8Array(512)));
    await run(loop, disk.read(0, new Uint8Array(512)));
    expect(blk.queue.broken).toBeUndefined();
    expect(blk.queue.lengthClamps).toBe(2);
  });

  it("virtio-rng (no hook): the device fails and frees everything; readers get the ring's error", () => {
    const machine = new SimMachine();
    const model = new RngModel(machine.memory, machine.violations);
    addVirtioPci(machine, model, { device: 4, layout: "modern" });
    const registry = new VirtioDriverRegistry();
    registry.register(virtioRngDriver);
    const config = new PortPciConfig(machine.ports);
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry).devices;
    const rng = probed.instance as VirtioRng;
    model.faults.usedId = "out-of-range";
    expect(() => rng.getRandomValues(new Uint8Array(4096))).toThrow(VirtioRingBrokenError);
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioRingBrokenError);
    expect(probed.device?.platform.dmaRegions).toBe(0);
    expect(probed.device?.transport.getStatus()).toBe(DeviceStatus.Failed);
  });

  it("virtio-net: frames before the broken entry are delivered, and the poll turn ends quietly", () => {
    const { model, net, received } = netRig();
    model.injectFrame(frameTo(GUEST_MAC, 100));
    model.faults.usedId = "out-of-range";
    model.injectFrame(frameTo(GUEST_MAC, 200));
    expect(() => net.poll()).not.toThrow();
    expect(received.map((r) => r.frame.length)).toEqual([114]);
    expect(net.linkUp).toBe(false);
  });

  it("virtio-net: the link goes down and stays down, nothing is sent; recovery brings a working link", () => {
    const { model, net, probed, machine } = netRig();
    const links: boolean[] = [];
    net.onLinkChange((up) => links.push(up));
    model.faults.usedId = "out-of-range";
    model.injectFrame(frameTo(GUEST_MAC, 100));
    net.poll();
    expect(links).toEqual([false]);
    expect(net.linkUp).toBe(false);
    expect(net.counters.deviceErrors).toBe(1);
    expect(net.counters.lastDeviceError).toBeInstanceOf(VirtioRingBrokenError);
    expect(net.transmit(frameTo(PEER_MAC, 60))).toBe(false);
    expect(net.allocateFrame(60)).toBeUndefined();
    net.poll();
    expect(links).toEqual([false]);

    model.faults.usedId = "ok";
    const device = probed.device!;
    expect(device.recover()).toBe(true);
    const fresh = device.instance as VirtioNet;
    expect(fresh.linkUp).toBe(true);
    const received: number[] = [];
    fresh.onReceive((frame) => received.push(frame.length));
    model.injectFrame(frameTo(GUEST_MAC, 100));
    expect(fresh.transmit(frameTo(PEER_MAC, 60))).toBe(true);
    fresh.poll();
    expect(received).toEqual([114]);
    expect(model.transmitted.length).toBeGreaterThan(0);
    assertNoViolations(machine.violations);
  });
});
