// Units that come and go while the controller runs: the event queue's TRANSPORT_RESET events
// (RESCAN, REMOVED), missed events, parameter changes; the disk list and its listeners follow.
import { afterEach, describe, expect, it } from "vitest";
import { blockDevices, retireBlockDriver, watchBlockDevices } from "../../runtime/block/registry";
import { adoptScsiDisks } from "../../runtime/scsi-disks";
import { assertNoViolations } from "../sim/violations";
import { OPCODE } from "../sim/scsi-target";
import { pattern, run, settle } from "./blk-harness";
import { scsiRig } from "./scsi-harness";

const BLOCK = 512;

function hotRig(interrupts?: boolean) {
  const rig = scsiRig({ interrupts, units: [[0, 0, { blocks: 128, serial: "boot" }]] });
  const disks = adoptScsiDisks(rig.probe.devices, rig.loop);
  const changes: string[] = [];
  const stop = watchBlockDevices((change, device) => changes.push(`${change} ${device.info.serial}`));
  /** The event queue is read by its interrupt (or by the disks' polls when polled). */
  const events = () => {
    for (let i = 0; i < 5; i++) rig.loop.tick();
    for (const disk of blockDevices()) void disk.info;
  };
  return { ...rig, disks, changes, stop, events };
}

describe("virtio-scsi: hot-plug and hot-unplug", () => {
  // The disk list is the runtime's one list: each test leaves it empty.
  afterEach(() => {
    for (const disk of [...blockDevices()]) retireBlockDriver(disk.driver);
  });

  for (const interrupts of [true, false]) {
    it(`a unit plugged in while running becomes a disk, and leaves the list when unplugged (${interrupts ? "interrupts" : "polled"})`, async () => {
      const { model, scsi, changes, stop, events, loop, machine } = hotRig(interrupts);
      expect(blockDevices().map((d) => d.info.serial)).toEqual(["boot"]);
      const plugged = model.plug(0, 2, { blocks: 64, serial: "hot" });
      events();
      expect(scsi.units.map((u) => u.lun)).toEqual([0, 2]);
      expect(changes).toEqual(["added hot"]);
      const hot = blockDevices().find((d) => d.info.serial === "hot")!;
      await run(loop, hot.write(1, pattern(BLOCK, 9)));
      expect(plugged.disk.subarray(BLOCK, 2 * BLOCK)).toEqual(pattern(BLOCK, 9));

      model.unplug(0, 2);
      events();
      expect(scsi.units.map((u) => u.lun)).toEqual([0]);
      expect(changes).toEqual(["added hot", "removed hot"]);
      expect(blockDevices().map((d) => d.info.serial)).toEqual(["boot"]);
      const [gone] = await settle(loop, [hot.read(0, new Uint8Array(BLOCK))]);
      expect(gone).toMatchObject({ status: "rejected", reason: { failure: "offline" } });
      // The unit that stayed sees the REPORTED LUNS DATA HAS CHANGED attention and goes on.
      const boot = blockDevices()[0];
      await run(loop, boot.write(0, pattern(BLOCK, 1)));
      stop();
      assertNoViolations(machine.violations);
    });
  }

  it("fails a command the unplugged unit still holds at once, and frees its slot only when the device gives it back", async () => {
    const { model, scsi, events, loop, probe } = hotRig();
    model.plug(0, 1, { blocks: 64, serial: "going" });
    events();
    const going = blockDevices().find((d) => d.info.serial === "going")!;
    const platform = probe.devices[0].device!.platform;
    model.scsiFaults.lose.set(OPCODE.READ_10, 1);
    model.scsiFaults.unplugKeepsLost = true;
    const read = going.read(0, new Uint8Array(BLOCK));
    for (let i = 0; i < 5; i++) loop.tick();
    const regions = platform.dmaRegions;
    model.unplug(0, 1);
    events();
    const [failed] = await settle(loop, [read]);
    expect(failed).toMatchObject({ status: "rejected", reason: { failure: "offline", code: "offline" } });
    // The device still holds the read: its slot (and the unit's slab) stay allocated.
    expect(platform.dmaRegions).toBe(regions);
    expect(model.returnLost(2)).toBe(1);
    scsi.collect();
    expect(platform.dmaRegions).toBe(regions - 1);
  });

  it("takes a whole target off when LUN 0's removal stands for it", () => {
    const { model, scsi, events } = hotRig();
    model.plug(1, 0, { blocks: 8, serial: "t1l0" });
    model.plug(1, 4, { blocks: 8, serial: "t1l4" });
    events();
    expect(scsi.units.map((u) => `${u.target}:${u.lun}`)).toEqual(["0:0", "1:0", "1:4"]);
    // The target disappears; the device reports only LUN 0.
    model.units.delete("1:4");
    model.unplug(1, 0);
    events();
    expect(scsi.units.map((u) => `${u.target}:${u.lun}`)).toEqual(["0:0"]);
  });

  it("rescans a target when a command finds its unit gone (LOGICAL UNIT NOT SUPPORTED) with the event missed", async () => {
    const { model, scsi, events, loop } = hotRig();
    model.plug(0, 3, { blocks: 8, serial: "quiet" });
    events();
    const quiet = blockDevices().find((d) => d.info.serial === "quiet")!;
    const giveBack = model.withholdEventBuffers();
    model.units.delete("0:3");
    const [gone] = await settle(loop, [quiet.read(0, new Uint8Array(BLOCK))]);
    expect(gone).toMatchObject({ status: "rejected", reason: { failure: "offline", code: "check-condition" } });
    void blockDevices()[0].info;
    expect(scsi.units.map((u) => u.lun)).toEqual([0]);
    giveBack();
  });

  it("keeps the units it knows when a rescan's REPORT LUNS answer cannot be trusted", () => {
    const { model, scsi, events, changes } = hotRig();
    model.scsiFaults.oversizeSense.add(OPCODE.REPORT_LUNS);
    model.plug(0, 5, { blocks: 8, serial: "unseen" });
    events();
    expect(scsi.units.map((u) => u.lun)).toEqual([0]);
    expect(changes).toEqual([]);
    expect(scsi.lastDeviceError?.message).toMatch(/sense_len 97 is larger than sense_size 96/);
  });

  it("scans every target again when the device says events were missed", () => {
    const { model, scsi, events } = hotRig();
    // No event buffer free: the device drops the events and sets EVENTS_MISSED on the next one.
    const giveBack = model.withholdEventBuffers();
    model.plug(3, 0, { blocks: 8, serial: "missed" });
    events();
    expect(scsi.units.map((u) => u.target)).toEqual([0]);
    giveBack();
    events();
    expect(scsi.units.map((u) => u.target)).toEqual([0, 3]);
    expect(scsi.rescans).toBe(2);
    expect(scsi.deviceErrors).toBe(0);
  });

  it("reads a unit's capacity again after a parameter-change event", () => {
    const { model, scsi, events } = hotRig();
    model.unit(0, 0)!.disk = new Uint8Array(256 * BLOCK);
    model.paramChange(0, 0);
    events();
    expect(scsi.units[0].geometry.blocks).toBe(256);
    expect(model.unit(0, 0)!.counts.get(OPCODE.SERVICE_ACTION_IN_16)).toBe(2);
  });

  it.each([
    ["shorter than an event", [1, 0, 0, 1, { length: 15 }], /event of 15 bytes, shorter than 16/],
    ["with a LUN address not starting with 1", [1, 0, 0, 1, { lunFirst: 0 }], /event 1 for LUN address starting 0/],
    ["of a type virtio 1.2 does not define", [7, 0, 0, 0, {}], /unknown event 7/],
    ["a transport reset with an unknown reason", [1, 0, 0, 99, {}], /transport reset with reason 99/],
  ] as const)("counts an event %s as a device error and changes nothing", (_, [event, target, lun, reason, odd], detail) => {
    const { model, scsi, events, changes } = hotRig();
    expect(model.sendOddEvent(event, target, lun, reason, odd)).toBe(true);
    events();
    expect(scsi.deviceErrors).toBe(1);
    expect(scsi.lastDeviceError).toMatchObject({ code: "event", detail: expect.stringMatching(detail) });
    expect(scsi.units.map((u) => `${u.target}:${u.lun}`)).toEqual(["0:0"]);
    expect(changes).toEqual([]);
  });

  it("ignores NO_EVENT and ASYNC_NOTIFY events without counting them as errors", () => {
    const { model, scsi, events } = hotRig();
    const reportLuns = () => model.unit(0, 0)!.counts.get(OPCODE.REPORT_LUNS) ?? 0;
    const before = model.commands;
    expect(model.sendOddEvent(0, 0, 0, 0)).toBe(true);
    expect(model.sendOddEvent(2, 0, 0, 0)).toBe(true);
    events();
    expect(scsi.deviceErrors).toBe(0);
    expect(reportLuns()).toBe(0);
    expect(model.commands).toBe(before);
    expect(scsi.units.map((u) => `${u.target}:${u.lun}`)).toEqual(["0:0"]);
  });

  it("takes the LUN of an event from both bytes of the flat address (LUN 260)", () => {
    const rig = scsiRig({ interrupts: true, maxLun: 511, units: [[0, 0, { blocks: 8 }]] });
    adoptScsiDisks(rig.probe.devices, rig.loop);
    const events = () => {
      for (let i = 0; i < 5; i++) rig.loop.tick();
      for (const disk of blockDevices()) void disk.info;
    };
    rig.model.plug(0, 260, { blocks: 8 });
    events();
    expect(rig.scsi.units.map((u) => u.lun)).toEqual([0, 260]);
    rig.model.unplug(0, 260);
    events();
    expect(rig.scsi.units.map((u) => u.lun)).toEqual([0]);
  });
});
