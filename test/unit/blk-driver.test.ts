import { describe, expect, it } from "vitest";
import { BlkDeviceError, BlkIoError, BlkUnsupportedError } from "../../drivers/virtio/blk/errors";
import { VirtioConfigError } from "../../drivers/virtio/errors";
import { FeatureBit } from "../../drivers/virtio/features";
import { assertNoViolations } from "../sim/violations";
import { BlkConfig, BlkFeature, BlkRequestType, SECTOR_SIZE } from "../sim/virtio/blk-model";
import { pattern, run, settle, simDisk } from "./blk-harness";

describe("virtio-blk driver: negotiation and configuration", () => {
  it("negotiates every feature it knows, reads the config and the serial", () => {
    const { disk, blk, machine, probe } = simDisk({
      sectors: 4096,
      serial: "disk-serial-0123456789",
      blkSize: 4096,
      topology: true,
      numQueues: 3,
      writeback: true,
    });
    expect(probe.devices[0].state).toBe("ready");
    const info = disk.info;
    expect(info.serial).toBe("disk-serial-01234567");
    expect(blk.geometry.capacitySectors).toBe(4096);
    expect(info.capacityBytes).toBe(4096 * SECTOR_SIZE);
    expect(info.blockSize).toBe(4096);
    expect(info.blocks).toBe(512);
    expect(info.physicalBlockSize).toBe(4096 * 8);
    expect(info.writeCache).toBe(true);
    expect(info.readOnly).toBe(false);
    expect(info.features).toEqual([
      "size-max", "seg-max", "blk-size", "flush", "topology", "config-wce", "mq", "discard", "write-zeroes", "indirect-desc", "event-idx", "version-1",
    ]);
    expect(blk.geometry.numQueues).toBe(3);
    // One request queue is used whatever num_queues says.
    expect(blk.queue.index).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("trims the serial at its first NUL and leaves it empty when GET_ID is unsupported", () => {
    expect(simDisk({ sectors: 64, serial: "short" }).disk.info.serial).toBe("short");
    const { disk, probe } = simDisk({ sectors: 64, prepare: (m) => m.blkFaults.unsupported.add(BlkRequestType.GetId) });
    expect(probe.devices[0].state).toBe("ready");
    expect(disk.info.serial).toBe("");
  });

  it.each([
    ["blk_size", (v: DataView) => v.setUint32(BlkConfig.BlkSize, 1000, true)],
    ["seg_max", (v: DataView) => v.setUint32(BlkConfig.SegMax, 0, true)],
    ["size_max", (v: DataView) => v.setUint32(BlkConfig.SizeMax, 100, true)],
    ["capacity", (v: DataView) => v.setBigUint64(BlkConfig.Capacity, 1n << 60n, true)],
    ["max_discard", (v: DataView) => v.setUint32(BlkConfig.MaxDiscardSectors, 0, true)],
    ["num_queues", (v: DataView) => v.setUint16(BlkConfig.NumQueues, 0, true)],
  ] as const)("fails the device with a typed error for a bad %s", (field, spoil) => {
    const { probe } = simDisk({
      sectors: 64,
      numQueues: 1,
      prepare: (m) => spoil(new DataView(m.config.buffer, m.config.byteOffset)),
    });
    const error = probe.devices[0].error;
    expect(probe.devices[0].state).toBe("failed");
    expect(error).toBeInstanceOf(VirtioConfigError);
    expect(error?.code).toBe(field);
    expect(error?.deviceName).toBe("00:04.0");
  });

  it.each(["modern", "transitional", "legacy"] as const)("reads and writes over the %s PCI transport", async (layout) => {
    const { disk, loop, machine, model } = simDisk({ sectors: 256, layout });
    const data = pattern(8192, 3);
    await run(loop, disk.write(10, data));
    expect(model.disk.subarray(10 * SECTOR_SIZE, 10 * SECTOR_SIZE + data.length)).toEqual(data);
    const back = await run(loop, disk.read(10, new Uint8Array(8192)));
    expect(back).toEqual(data);
    expect(disk.info.features.includes("version-1")).toBe(layout !== "legacy");
    assertNoViolations(machine.violations);
  });
});

describe("virtio-blk driver: device answers", () => {
  it("turns IOERR into BlkIoError naming the device and the request", async () => {
    const { disk, loop, model } = simDisk({ sectors: 64 });
    model.blkFaults.badSectors.add(5);
    const error = await run(loop, disk.read(4, new Uint8Array(1024))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlkIoError);
    expect((error as BlkIoError).failure).toBe("io");
    expect((error as BlkIoError).message).toBe("00:04.0: ioerr: read sector 4 (1024 bytes): device reported an I/O error");
    await run(loop, disk.read(6, new Uint8Array(512)));
  });

  it("turns UNSUPP into BlkUnsupportedError", async () => {
    const { disk, loop, model } = simDisk({ sectors: 64 });
    model.blkFaults.unsupported.add(BlkRequestType.Flush);
    await expect(run(loop, disk.flush())).rejects.toThrow(BlkUnsupportedError);
    await expect(run(loop, disk.flush())).rejects.toMatchObject({ failure: "unsupported" });
    await expect(run(loop, disk.flush())).rejects.toThrow("00:04.0: unsupported: flush: device reported the request unsupported");
  });

  it.each<[string, number | "unwritten"]>([
    ["a status byte outside OK/IOERR/UNSUPP", 7],
    ["no status written (sentinel left)", "unwritten"],
  ])("never trusts %s: typed, counted device error", async (_, status) => {
    const { disk, blk, loop, model } = simDisk({ sectors: 64 });
    model.blkFaults.status = status;
    const error = (await run(loop, disk.read(0, new Uint8Array(512))).catch((e: unknown) => e)) as BlkDeviceError;
    expect(error).toBeInstanceOf(BlkDeviceError);
    expect(error.failure).toBe("device");
    expect(error.code).toBe("status");
    expect(error.request).toBe("read sector 0 (512 bytes)");
    expect(blk.deviceErrors).toBe(1);
    model.blkFaults.status = undefined;
    await run(loop, disk.read(0, new Uint8Array(512)));
    expect(blk.deviceErrors).toBe(1);
  });

  it("takes a used length longer than the buffers as clamped to them, and counts it", async () => {
    const { disk, blk, loop, model } = simDisk({ sectors: 64 });
    model.disk.set(pattern(1024, 4), 0);
    model.faults.usedLengthExtra = 3;
    expect(await run(loop, disk.read(0, new Uint8Array(1024)))).toEqual(pattern(1024, 4));
    await run(loop, disk.write(8, new Uint8Array(512)));
    expect(blk.queue.lengthClamps).toBe(2);
    expect(blk.queue.broken).toBeUndefined();
    expect(blk.deviceErrors).toBe(0);
  });

  it("never trusts a used length shorter than the data", async () => {
    const { disk, blk, loop, model } = simDisk({ sectors: 64 });
    model.faults.usedLengthExtra = -1;
    const read = run(loop, disk.read(0, new Uint8Array(1024))).catch((e: unknown) => e);
    const write = run(loop, disk.write(8, new Uint8Array(512))).catch((e: unknown) => e);
    for (const error of [await read, await write]) {
      expect(error).toBeInstanceOf(BlkDeviceError);
      expect((error as BlkDeviceError).code).toBe("used-len");
    }
    expect(blk.deviceErrors).toBe(2);
  });

  it("rejects writes to a read-only device before they reach the ring; reads work", async () => {
    const { disk, loop, machine, model } = simDisk({ sectors: 64, readOnly: true });
    model.disk.set(pattern(512, 9), 0);
    expect(disk.info.readOnly).toBe(true);
    for (const attempt of [() => disk.write(0, new Uint8Array(512)), () => disk.discard(0, 1), () => disk.writeZeroes(0, 1)]) {
      await expect(run(loop, attempt())).rejects.toMatchObject({ failure: "read-only" });
    }
    await expect(disk.write(1, new Uint8Array(512))).rejects.toThrow("00:04.0: read-only: write block 1: device is read-only");
    expect(model.requestCounts.get(BlkRequestType.Out)).toBeUndefined();
    expect(await run(loop, disk.read(0, new Uint8Array(512)))).toEqual(pattern(512, 9));
    assertNoViolations(machine.violations);
  });

  it.each(["modern", "legacy"] as const)("follows a capacity change (%s: generation / ISR)", async (layout) => {
    const { disk, blk, loop, model, machine } = simDisk({ sectors: 64, layout });
    expect(blk.geometry.capacitySectors).toBe(64);
    expect(disk.info.blocks).toBe(64);
    await expect(run(loop, disk.write(100, new Uint8Array(512)))).rejects.toThrow(/beyond the last block 63/);
    model.resize(256);
    // Noticed while polling for completions of an in-flight request.
    await run(loop, disk.read(0, new Uint8Array(512)));
    expect(blk.configChanges).toBe(1);
    expect(blk.geometry.capacitySectors).toBe(256);
    expect(disk.info.blocks).toBe(256);
    await run(loop, disk.write(255, pattern(512, 1)));
    expect(model.disk.subarray(255 * SECTOR_SIZE)).toEqual(pattern(512, 1));
    // And by an app looking at info while idle.
    model.resize(128);
    expect(disk.info.capacityBytes).toBe(128 * SECTOR_SIZE);
    expect(blk.configChanges).toBe(2);
    assertNoViolations(machine.violations);
  });

  it("keeps the old geometry and counts the error when a changed config is invalid", async () => {
    const { disk, blk, model } = simDisk({ sectors: 64 });
    model.changeConfig((v) => v.setUint32(BlkConfig.BlkSize, 3, true));
    const errors: string[] = [];
    blk.onDeviceError = (e) => errors.push(e.code);
    expect(disk.info.blockSize).toBe(512);
    expect(errors).toEqual(["blk_size"]);
    expect(blk.deviceErrors).toBe(1);
  });

  it("without FLUSH, flush() resolves at once; without DISCARD, discard() is refused unsubmitted", async () => {
    const { disk, loop, model } = simDisk({ sectors: 64, withhold: [BlkFeature.Flush, BlkFeature.Discard] });
    expect(disk.info.flush).toBe(false);
    await run(loop, disk.flush());
    await expect(run(loop, disk.discard(0, 1))).rejects.toMatchObject({ failure: "unsupported" });
    expect(model.requestCounts.get(BlkRequestType.Flush)).toBeUndefined();
    expect(model.requestCounts.get(BlkRequestType.Discard)).toBeUndefined();
  });

  it("works without indirect descriptors or EVENT_IDX", async () => {
    const { disk, loop, machine, blk } = simDisk({ sectors: 512, eventIdx: false, indirect: false, queueSize: 16, sizeMax: 4096, segMax: 8 });
    expect(blk.has(FeatureBit.IndirectDesc)).toBe(false);
    const writes = Array.from({ length: 12 }, (_, i) => disk.write(i * 32, pattern(16384, i)));
    await settle(loop, writes);
    for (let i = 0; i < 12; i++) expect(await run(loop, disk.read(i * 32, new Uint8Array(16384)))).toEqual(pattern(16384, i));
    assertNoViolations(machine.violations);
  });
});

describe("virtio-blk on a queue too small for a request", () => {
  it("refuses a 2-entry queue at attach with a typed error, never making a chain longer than the queue", () => {
    const { probe, machine } = simDisk({ queueSize: 2, sectors: 2048 });
    expect(probe.lines[0]).toBe("virtio-error 00:04.0 queue-size: chains of 2 descriptors cannot carry a request");
    assertNoViolations(machine.violations);
  });
});
