// The virtio-scsi driver as the registry sees it: its name, its registration, and a detach that
// fails what the units still have in flight.
import { describe, expect, it } from "vitest";
import { DeviceType } from "../../drivers/virtio/device-types";
import { virtioDrivers } from "../../drivers/virtio/registry";
import { createVirtioScsiDriver, registerVirtioScsiDriver } from "../../drivers/virtio/scsi/driver";
import { OPCODE } from "../sim/scsi-target";
import { settle } from "./blk-harness";
import { scsiRig } from "./scsi-harness";

describe("virtio-scsi driver registration", () => {
  it("is named virtio-scsi and drives SCSI controllers", () => {
    expect(createVirtioScsiDriver()).toMatchObject({ name: "virtio-scsi", type: DeviceType.Scsi });
  });

  it("registerVirtioScsiDriver puts it in the registry the boot code probes against", () => {
    expect(virtioDrivers.find(DeviceType.Scsi)).toBeUndefined();
    registerVirtioScsiDriver();
    expect(virtioDrivers.find(DeviceType.Scsi)?.name).toBe("virtio-scsi");
  });
});

describe("virtio-scsi detach", () => {
  it("takes every unit offline when the controller is detached, failing what the device still holds", async () => {
    const rig = scsiRig({ units: [[0, 0, { blocks: 64 }]] });
    const disk = rig.disk(rig.scsi.units[0]);
    rig.model.scsiFaults.lose.set(OPCODE.READ_10, 1);
    const read = disk.read(0, new Uint8Array(512));
    for (let i = 0; i < 5; i++) rig.loop.tick();
    rig.probe.devices[0].device!.detach();
    const [result] = await settle(rig.loop, [read]);
    expect(result.status).toBe("rejected");
    expect((result as PromiseRejectedResult).reason).toMatchObject({ code: "offline", failure: "offline", detail: expect.stringMatching(/controller detached/) });
    expect(rig.scsi.units).toEqual([]);
  });
});
