import { describe, expect, it } from "vitest";
import { BlkIoError } from "../../drivers/virtio/blk/errors";
import { BlockAlignmentError, BlockRangeError } from "../../runtime/block/errors";
import { blockDevices, findBlockDevice } from "../../runtime/block/registry";
import { assertNoViolations } from "../sim/violations";
import { BlkRequestType, SECTOR_SIZE } from "../sim/virtio/blk-model";
import { pattern, run, settle, simDisk } from "./blk-harness";

describe("block API: request types", () => {
  it("writes, reads, flushes, discards and writes zeroes", async () => {
    const { disk, loop, model, machine } = simDisk({ sectors: 128 });
    // Only reads resolve to a value: the caller's own buffer.
    expect(await run(loop, disk.write(0, pattern(64 * SECTOR_SIZE, 1)))).toBeUndefined();
    expect(model.disk.subarray(0, 64 * SECTOR_SIZE)).toEqual(pattern(64 * SECTOR_SIZE, 1));
    expect(await run(loop, disk.flush())).toBeUndefined();
    expect(model.flushes).toBe(1);
    expect(await run(loop, disk.discard(4, 4))).toBeUndefined();
    expect(await run(loop, disk.writeZeroes(20, 3, { unmap: true }))).toBeUndefined();
    const into = new Uint8Array(64 * SECTOR_SIZE);
    const back = await run(loop, disk.read(0, into));
    expect(back).toBe(into);
    const empty = into.subarray(0, 0);
    expect(await run(loop, disk.read(0, empty))).toBe(empty);
    const expected = pattern(64 * SECTOR_SIZE, 1);
    expected.fill(0, 4 * SECTOR_SIZE, 8 * SECTOR_SIZE);
    expected.fill(0, 20 * SECTOR_SIZE, 23 * SECTOR_SIZE);
    expect(back).toEqual(expected);
    for (const type of [BlkRequestType.Out, BlkRequestType.In, BlkRequestType.Flush, BlkRequestType.Discard, BlkRequestType.WriteZeroes, BlkRequestType.GetId]) {
      expect(model.requestCounts.get(type)).toBe(1);
    }
    assertNoViolations(machine.violations);
  });

  it("sends DMA buffers from allocBuffer without a bounce, and the same data either way", async () => {
    const { disk, loop, model } = simDisk({ sectors: 64, device: { bounceBuffers: 1 } });
    const dma = disk.allocBuffer(4096);
    dma.set(pattern(4096, 5));
    await run(loop, disk.write(8, dma));
    expect(model.disk.subarray(8 * SECTOR_SIZE, 16 * SECTOR_SIZE)).toEqual(pattern(4096, 5));
    dma.fill(0);
    await run(loop, disk.read(8, dma.subarray(512, 1536)));
    expect(dma.subarray(512, 1536)).toEqual(pattern(4096, 5).subarray(0, 1024));
    expect(await run(loop, disk.read(8, new Uint8Array(4096)))).toEqual(pattern(4096, 5));
    disk.freeBuffer(dma);
  });

  it("splits large requests at seg_max and size_max", async () => {
    const { disk, loop, model, machine } = simDisk({ sectors: 1024, sizeMax: 4096, segMax: 4, device: { bounceBuffers: 2, bounceBufferBytes: 65536 } });
    expect(disk.info.maxTransferBytes).toBe(16384);
    const data = pattern(100 * 1024, 2);
    await run(loop, disk.write(3, data));
    expect(model.requestCounts.get(BlkRequestType.Out)).toBe(7);
    expect(model.maxSegmentsSeen).toBe(4);
    const dma = disk.allocBuffer(data.length);
    await run(loop, disk.read(3, dma));
    expect(dma).toEqual(data);
    expect(model.requestCounts.get(BlkRequestType.In)).toBe(7);
    assertNoViolations(machine.violations);
  });

  it("splits discard and write-zeroes at the device's sector limits", async () => {
    const { disk, loop, model, machine } = simDisk({ sectors: 256, maxDiscardSectors: 16, maxWriteZeroesSectors: 10 });
    model.disk.fill(0xee);
    await run(loop, disk.discard(0, 100));
    await run(loop, disk.writeZeroes(100, 45));
    expect(model.requestCounts.get(BlkRequestType.Discard)).toBe(7);
    expect(model.requestCounts.get(BlkRequestType.WriteZeroes)).toBe(5);
    expect(model.disk.subarray(0, 145 * SECTOR_SIZE).every((b) => b === 0)).toBe(true);
    expect(model.disk[145 * SECTOR_SIZE]).toBe(0xee);
    assertNoViolations(machine.violations);
  });
});

describe("block API: concurrency", () => {
  it("matches completions by token when the device answers in reverse order", async () => {
    const { disk, loop, model, machine } = simDisk({ sectors: 256 });
    for (let i = 0; i < 8; i++) model.disk.set(pattern(2048, i), i * 4096);
    model.holdCompletions = true;
    const reads = Array.from({ length: 8 }, (_, i) => disk.read(i * 8, new Uint8Array(2048)));
    for (let i = 0; i < 3; i++) loop.tick();
    expect(model.queues[0].held.length).toBe(8);
    model.holdCompletions = false;
    model.releaseHeld(0, [7, 6, 5, 4, 3, 2, 1, 0]);
    const results = await settle(loop, reads);
    results.forEach((result, i) => expect(result).toEqual({ status: "fulfilled", value: pattern(2048, i) }));
    assertNoViolations(machine.violations);
  });

  it("queues more requests than the ring holds and completes them all (back-pressure)", async () => {
    const { disk, loop, model, machine } = simDisk({ sectors: 2048, queueSize: 8 });
    model.holdCompletions = true;
    const writes = Array.from({ length: 100 }, (_, i) => disk.write(i * 16, pattern(8192, i)));
    expect(disk.inFlight).toBe(0);
    loop.tick(); // what one turn queued is submitted at its end
    expect(disk.inFlight).toBe(8);
    expect(disk.queued).toBe(92);
    model.holdCompletions = false;
    model.releaseHeld(0);
    const results = await settle(loop, writes);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    for (let i = 0; i < 100; i++) expect(model.disk.subarray(i * 8192, (i + 1) * 8192)).toEqual(pattern(8192, i));
    expect(disk.queued).toBe(0);
    expect(disk.peakInFlight).toBe(8);
    assertNoViolations(machine.violations);
  });

  it("reports the depth the device saw after every request came back", async () => {
    const { disk, loop } = simDisk({ sectors: 2048, queueSize: 64, device: { bounceBuffers: 32, bounceBufferBytes: 8192 } });
    await settle(loop, [disk.write(0, pattern(4096, 0))]);
    expect(disk.peakInFlight).toBe(1);
    disk.resetPeakInFlight();
    expect(disk.peakInFlight).toBe(0);
    const writes = Array.from({ length: 20 }, (_, i) => disk.write(i * 16, pattern(8192, i)));
    await settle(loop, writes);
    expect(disk.inFlight).toBe(0);
    expect(disk.peakInFlight).toBe(20);
  });

  it("waits for bounce buffers when callers' memory outnumbers them", async () => {
    const { disk, loop, model } = simDisk({ sectors: 2048, device: { bounceBuffers: 2, bounceBufferBytes: 4096 } });
    const writes = Array.from({ length: 10 }, (_, i) => disk.write(i * 64, pattern(32768, i)));
    loop.tick();
    expect(disk.inFlight).toBe(2);
    await settle(loop, writes);
    for (let i = 0; i < 10; i++) expect(model.disk.subarray(i * 32768, (i + 1) * 32768)).toEqual(pattern(32768, i));
  });

  it("orders a flush after the writes before it", async () => {
    const { disk, loop, model } = simDisk({ sectors: 256 });
    model.holdCompletions = true;
    const write = disk.write(0, pattern(4096, 1));
    const flush = disk.flush();
    loop.tick();
    expect(model.queues[0].held.length).toBe(1);
    model.holdCompletions = false;
    model.releaseHeld(0);
    await settle(loop, [write, flush]);
    expect(model.flushes).toBe(1);
  });

  it("fails an operation whose piece failed, and only that operation", async () => {
    const { disk, loop, model } = simDisk({ sectors: 1024, sizeMax: 4096, segMax: 1 });
    model.blkFaults.badSectors.add(40);
    const [bad, good] = await settle(loop, [disk.read(0, new Uint8Array(64 * 1024)), disk.read(200, new Uint8Array(8192))]);
    expect(bad.status).toBe("rejected");
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(BlkIoError);
    expect((bad as PromiseRejectedResult).reason.message).toMatch(/read sector 40 \(4096 bytes\)/);
    expect(good.status).toBe("fulfilled");
  });

  it("polls only while requests are in flight, so an idle machine halts", async () => {
    const { disk, loop, model } = simDisk({ sectors: 64 });
    expect(loop.tick()).toBe(-1);
    model.holdCompletions = true;
    const read = disk.read(0, new Uint8Array(512));
    expect(loop.tick()).toBe(0);
    expect(loop.tick()).toBe(0);
    model.holdCompletions = false;
    model.releaseHeld(0);
    await run(loop, read);
    expect(loop.tick()).toBe(-1);
  });
});

describe("block API: argument checks", () => {
  it("refuses out-of-range and misaligned requests before submission", async () => {
    const { disk, model } = simDisk({ sectors: 64, blkSize: 4096 });
    const refused: [Promise<unknown>, unknown, RegExp][] = [
      [disk.read(8, new Uint8Array(4096)), BlockRangeError, /blocks 8\.\.8 beyond the last block 7/],
      [disk.read(7, new Uint8Array(8192)), BlockRangeError, /beyond the last block/],
      [disk.read(-1, new Uint8Array(4096)), BlockRangeError, /-1 is not a block number/],
      [disk.write(1.5, new Uint8Array(4096)), BlockRangeError, /1\.5 is not a block number/],
      [disk.write(0, new Uint8Array(512)), BlockAlignmentError, /512 bytes is not a multiple of the 4096-byte block/],
      [disk.discard(0, 9), BlockRangeError, /beyond/],
      [disk.writeZeroes(0, -2), BlockRangeError, /-2 is not a block count/],
    ];
    for (const [promise, type, message] of refused) {
      await expect(promise).rejects.toThrow(type as new () => Error);
      await expect(promise).rejects.toThrow(message);
    }
    expect(disk.inFlight).toBe(0);
    expect([...model.requestCounts.keys()]).toEqual([BlkRequestType.GetId]);
  });

  it("addresses 4 KiB blocks in block units", async () => {
    const { disk, loop, model } = simDisk({ sectors: 64, blkSize: 4096 });
    await run(loop, disk.write(3, pattern(4096, 4)));
    expect(model.disk.subarray(3 * 4096, 4 * 4096)).toEqual(pattern(4096, 4));
  });

  it("lists adopted disks and finds them by index or serial", () => {
    const { disk } = simDisk({ sectors: 64, serial: "find-me" });
    expect(blockDevices()).toContain(disk);
    expect(findBlockDevice({ serial: "find-me" })).toBe(disk);
    expect(findBlockDevice(blockDevices().indexOf(disk))).toBe(disk);
  });
});
