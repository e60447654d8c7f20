// The device configuration (virtio 1.2 section 5.6.4) is checked before anything is sized from it:
// each field outside what the driver can work with refuses the controller, naming the field and its
// value; the values at the edges of each bound are accepted.
import { describe, expect, it } from "vitest";
import { virtio_scsi_config } from "../sim/virtio/spec/scsi";
import { scsiRig } from "./scsi-harness";

type Field = "num_queues" | "cmd_per_lun" | "event_info_size" | "sense_size" | "cdb_size" | "max_lun";

function withConfig(field: Field, value: number, units: readonly (readonly [number, number, { blocks: number }])[] = [[0, 0, { blocks: 8 }]]) {
  return scsiRig({
    units,
    prepare: (model) => new DataView(model.config.buffer).setUint32(virtio_scsi_config[field].offset, value, true),
  });
}

describe("virtio-scsi: configuration checks", () => {
  it.each([
    ["num_queues", 0, /num_queues is 0, needs at least one request queue/],
    ["cdb_size", 15, /cdb_size 15 is outside 16\.\.256/],
    ["cdb_size", 257, /cdb_size 257 is outside 16\.\.256/],
    ["sense_size", 17, /sense_size 17 is outside 18\.\.252/],
    ["sense_size", 253, /sense_size 253 is outside 18\.\.252/],
    ["cmd_per_lun", 0, /cmd_per_lun is 0/],
    ["event_info_size", 15, /event_info_size 15 is smaller than an event \(16\)/],
  ] as const)("refuses %s %d with a config error naming the field", (field, value, detail) => {
    const { probe, scsi } = withConfig(field, value);
    expect(scsi).toBeUndefined();
    expect(probe.devices[0].state).toBe("failed");
    expect(probe.devices[0].error).toMatchObject({ code: "config", detail: expect.stringMatching(detail) });
  });

  it.each([
    ["cdb_size", 16],
    ["cdb_size", 256],
    ["sense_size", 18],
    ["sense_size", 252],
    ["cmd_per_lun", 1],
    ["event_info_size", 0],
    ["event_info_size", 16],
  ] as const)("accepts %s %d and serves the unit", (field, value) => {
    const { probe, scsi } = withConfig(field, value);
    expect(probe.devices[0].state).not.toBe("failed");
    expect(scsi.units.map((u) => [u.target, u.lun])).toEqual([[0, 0]]);
  });

  it("serves no LUN beyond max_lun", () => {
    const { scsi } = withConfig("max_lun", 0, [
      [0, 0, { blocks: 8 }],
      [0, 1, { blocks: 8 }],
    ]);
    expect(scsi.config.maxLun).toBe(0);
    expect(scsi.units.map((u) => u.lun)).toEqual([0]);
  });
});
