// virtio-blk across its life: reset hands the device to a new instance (the old one refuses and
// tells nobody anything more), detach fails what is in flight, and a driver used without hooks
// takes completions, configuration changes and a broken ring without tripping over them.
import { describe, expect, it } from "vitest";
import { registerVirtioBlkDriver, virtioBlkDriver } from "../../drivers/virtio/blk/driver";
import { DeviceType } from "../../drivers/virtio/device-types";
import { virtioDrivers } from "../../drivers/virtio/registry";
import { VirtioRingBrokenError, VirtioTimeoutError, VirtioUsageError, type VirtioError } from "../../drivers/virtio/errors";
import { BlkRequestType } from "../sim/virtio/blk-model";
import { simDisk } from "./blk-harness";
import { caught } from "../harness/caught";

/** A disk whose driver has no hooks, as a user below the block layer would start. */
function bareDisk() {
  const rig = simDisk({ sectors: 64 });
  const { blk } = rig;
  blk.onComplete = undefined;
  blk.onInterrupt = undefined;
  blk.onConfigChange = undefined;
  blk.onBroken = undefined;
  blk.onDeviceError = undefined;
  return rig;
}

describe("virtio-blk reset and stop", () => {
  it("after a reset the old instance refuses both, saying it no longer serves the device", () => {
    const { blk } = simDisk({ sectors: 64 });
    const fresh = blk.reset();
    expect(fresh === blk).toBe(false);
    expect(caught(() => blk.reset())).toMatchObject({ code: "reset", detail: "this driver instance no longer serves the device" });
    const stopError = caught(() => blk.stop(new Error("gone")));
    expect(stopError).toBeInstanceOf(VirtioUsageError);
    expect(stopError).toMatchObject({ code: "stop", detail: "this driver instance no longer serves the device" });
    expect(fresh.serial).toBe(blk.serial);
  });

  it("the old instance tells nothing of the requests the reset abandoned", () => {
    const { blk, machine, model } = simDisk({ sectors: 64 });
    const heard: unknown[] = [];
    blk.onComplete = (_slot, error) => heard.push(error);
    model.holdCompletions = true;
    expect(blk.submitRead(0, machine.allocDma(512).physical, 512)).toBeGreaterThanOrEqual(0);
    blk.kick();
    model.holdCompletions = false;
    const fresh = blk.reset();
    expect(heard).toEqual([]);
    expect(fresh.inFlight).toBe(0);
  });

  it("a reset the device does not come back from throws why", () => {
    const { blk, model, probe } = simDisk({ sectors: 64 });
    // The new instance's GET_ID goes unanswered, so bringing the device up fails.
    model.blkFaults.lose.set(BlkRequestType.GetId, 1);
    const error = caught(() => blk.reset());
    expect(error).toBeInstanceOf(VirtioTimeoutError);
    expect(error).toBe(probe.devices[0].error);
    expect((error as VirtioError).code).toBe("get-id");
  });
});

describe("virtio-blk detach", () => {
  it("fails every request in flight with a usage error saying the device was detached", () => {
    const { blk, machine, model } = simDisk({ sectors: 64 });
    const heard: unknown[] = [];
    blk.onComplete = (_slot, error) => heard.push(error);
    model.holdCompletions = true;
    const buffer = machine.allocDma(1024);
    blk.submitRead(0, buffer.physical, 512);
    blk.submitRead(1, buffer.physical + 512, 512);
    blk.kick();
    blk.detach();
    expect(heard).toHaveLength(2);
    for (const error of heard) {
      expect(error).toBeInstanceOf(VirtioUsageError);
      expect(error).toMatchObject({ code: "detached", detail: "device detached" });
    }
    expect(blk.inFlight).toBe(0);
  });
});

describe("virtio-blk without hooks", () => {
  it("completes requests", () => {
    const { blk, machine } = bareDisk();
    expect(blk.submitRead(0, machine.allocDma(512).physical, 512)).toBeGreaterThanOrEqual(0);
    blk.kick();
    expect(blk.complete()).toBe(1);
    expect(blk.inFlight).toBe(0);
  });

  it("takes a configuration change", () => {
    const { blk, model, probe } = bareDisk();
    model.resize(128);
    expect(blk.checkConfig()).toBe(true);
    expect(blk.configChanges).toBe(1);
    expect(blk.geometry.capacitySectors).toBe(128);
    expect(probe.devices[0].device?.configErrors).toBe(0);
  });

  it("on a broken ring fails what was in flight, counting each in what complete() returns", () => {
    const { blk, machine, model } = bareDisk();
    const buffer = machine.allocDma(1536);
    model.faults.usedId = "out-of-range";
    for (let i = 0; i < 3; i++) blk.submitRead(i, buffer.physical + i * 512, 512);
    blk.kick();
    expect(blk.complete()).toBe(3);
    expect(blk.inFlight).toBe(0);
    expect(blk.deviceErrors).toBe(1);
    expect(() => blk.submitRead(0, buffer.physical, 512)).toThrow(VirtioRingBrokenError);
  });
});

describe("virtio-blk driver registration", () => {
  it("is named virtio-blk", () => {
    expect(virtioBlkDriver.name).toBe("virtio-blk");
  });

  it("registerVirtioBlkDriver puts it in the registry the boot code probes against", () => {
    expect(virtioDrivers.find(DeviceType.Block)).toBeUndefined();
    registerVirtioBlkDriver();
    expect(virtioDrivers.find(DeviceType.Block)?.name).toBe("virtio-blk");
  });
});
