import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { OPCODE } from "../sim/scsi-target";
import { virtio_scsi_config } from "../sim/virtio/spec/scsi";
import { pattern, run } from "./blk-harness";
import { scsiRig } from "./scsi-harness";

describe("virtio-scsi: discovery", () => {
  it("finds every unit on every target with REPORT LUNS and describes it", () => {
    const { scsi, model, machine } = scsiRig({
      units: [
        [0, 0, { blocks: 2048, serial: "first", unmap: true, writeCache: true }],
        [0, 3, { blocks: 4096, blockSize: 4096, serial: "second" }],
        [2, 0, { blocks: 64, readOnly: true, serial: "ro" }],
      ],
    });
    expect(scsi.units.map((u) => [u.target, u.lun, u.serial])).toEqual([
      [0, 0, "first"],
      [0, 3, "second"],
      [2, 0, "ro"],
    ]);
    const [first, second, ro] = scsi.units;
    expect(first.geometry).toMatchObject({ blocks: 2048, blockSize: 512 });
    expect(first.capabilities).toMatchObject({ readOnly: false, discard: true, writeCache: true, flush: true });
    expect(second.geometry).toMatchObject({ blocks: 4096, blockSize: 4096 });
    expect(second.capabilities.discard).toBe(false);
    expect(ro.capabilities.readOnly).toBe(true);
    // Targets 1 and 3..7 answered BAD_TARGET to REPORT LUNS; nothing else was sent to them.
    expect(model.unit(0, 0)?.counts.get(OPCODE.INQUIRY)).toBeGreaterThan(0);
    expect(scsi.deviceErrors).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("refuses a controller whose configuration is unusable, and only that device", () => {
    const { probe, scsi } = scsiRig({
      units: [[0, 0, { blocks: 8 }]],
      prepare: (model) => new DataView(model.config.buffer).setUint32(virtio_scsi_config.sense_size.offset, 4, true),
    });
    expect(scsi).toBeUndefined();
    expect(probe.devices[0].state).toBe("failed");
    expect(probe.devices[0].error?.detail).toMatch(/sense_size 4 is outside/);
  });

  it("skips a unit that reports a capacity no disk has; the other units are served", () => {
    const { scsi } = scsiRig({ units: [[0, 0, { blocks: 8, blockSize: 1000 }], [0, 1, { blocks: 8 }]] });
    expect(scsi.units.map((u) => u.lun)).toEqual([1]);
    expect(scsi.deviceErrors).toBe(1);
    expect(scsi.lastDeviceError?.message).toMatch(/0:0: block length 1000/);
  });

  it("falls back to READ CAPACITY(10) where (16) is refused", () => {
    const { scsi } = scsiRig({ units: [[1, 0, { blocks: 300, noReadCapacity16: true }]] });
    expect(scsi.units[0].geometry.blocks).toBe(300);
  });

  it("skips units that are not disks", () => {
    const { scsi } = scsiRig({ units: [[0, 0, { blocks: 8, deviceType: 5 }], [0, 1, { blocks: 8 }]] });
    expect(scsi.units.map((u) => u.lun)).toEqual([1]);
  });

  it("bounds the scan by max_target", () => {
    const { scsi, model } = scsiRig({ maxTarget: 1, units: [[0, 0, { blocks: 8 }], [5, 0, { blocks: 8 }]] });
    expect(scsi.units.map((u) => u.target)).toEqual([0]);
    expect(model.unit(5, 0)?.counts.size ?? 0).toBe(0);
  });

  it("reads and writes each unit as a block device, addressed to the right LUN", async () => {
    const { scsi, model, loop, disk, machine } = scsiRig({ units: [[0, 0, { blocks: 256 }], [0, 1, { blocks: 256 }]] });
    const [a, b] = scsi.units.map(disk);
    await run(loop, a.write(3, pattern(4096, 1)));
    await run(loop, b.write(3, pattern(4096, 2)));
    expect(model.unit(0, 0)?.disk.subarray(1536, 1536 + 4096)).toEqual(pattern(4096, 1));
    expect(model.unit(0, 1)?.disk.subarray(1536, 1536 + 4096)).toEqual(pattern(4096, 2));
    expect(await run(loop, a.read(3, new Uint8Array(4096)))).toEqual(pattern(4096, 1));
    expect(await run(loop, b.read(3, new Uint8Array(4096)))).toEqual(pattern(4096, 2));
    await run(loop, a.flush());
    expect(model.unit(0, 0)?.flushes).toBe(1);
    assertNoViolations(machine.violations);
  });
});

describe("virtio-scsi: negotiated features", () => {
  it("names the features negotiated, and only those, on the controller and each disk", () => {
    const plain = scsiRig({ hotplug: false, units: [[0, 0, { blocks: 8 }]] });
    expect(plain.scsi.featureNames).not.toContain("hotplug");
    expect(plain.scsi.featureNames).not.toContain("change");
    expect(plain.scsi.featureNames).not.toContain("ring-packed");
    expect(plain.scsi.featureNames).toContain("version-1");
    const full = scsiRig({ packed: true, units: [[0, 0, { blocks: 8 }]] });
    expect(full.scsi.featureNames).toEqual(expect.arrayContaining(["hotplug", "change", "version-1", "ring-packed"]));
    expect(full.disk(full.scsi.units[0]).info.features).toEqual(expect.arrayContaining(["hotplug", "change", "ring-packed"]));
  });
});
