// The block API and the key-value store over a BlockDriver that is not virtio: the interface alone
// carries reads, writes, flush, discard, write-zeroes, failures, back-pressure and resizes.
import { describe, expect, it } from "vitest";
import { isBlockError } from "../../drivers/block-driver";
import { createEventLoop } from "../../kernel/event-loop";
import { BlockDevice } from "../../runtime/block/device";
import { DmaBuffers } from "../../runtime/block/dma-buffers";
import { adoptBlockDevices, findBlockDevice } from "../../runtime/block/registry";
import { KvStore } from "../../runtime/kv/store";
import { SimMachine } from "../sim/machine";
import { pattern, run, settle } from "./blk-harness";
import { ScriptedBlockDriver, type ScriptedOptions } from "./scripted-block-driver";

const BLOCK = 1024;

function scriptedDisk(options: ScriptedOptions = {}) {
  const machine = new SimMachine();
  const driver = new ScriptedBlockDriver(machine.memory, options);
  const uncaught: unknown[] = [];
  const loop = createEventLoop(() => machine.monotonicNs(), (error) => uncaught.push(error));
  const disk = new BlockDevice(driver, machine, loop, new DmaBuffers(machine), { bounceBuffers: 2, bounceBufferBytes: 2 * BLOCK });
  return { machine, driver, loop, disk, uncaught };
}

describe("block API over a scripted, non-virtio driver", () => {
  it("describes the disk in logical blocks from the driver's geometry and capabilities", () => {
    const { disk } = scriptedDisk({ blocks: 64 });
    expect(disk.info).toMatchObject({
      name: "scripted0",
      serial: "scripted-serial",
      blockSize: BLOCK,
      blocks: 64,
      capacityBytes: 64 * BLOCK,
      maxTransferBytes: 2 * BLOCK,
      queueSize: 2,
      flush: true,
      discard: true,
      writeZeroes: true,
      writeCache: true,
      features: ["scripted"],
    });
  });

  it("writes and reads back, split to the driver's largest transfer, in block units", async () => {
    const { disk, driver, loop, uncaught } = scriptedDisk();
    const data = pattern(5 * BLOCK, 3);
    await run(loop, disk.write(10, data));
    expect(driver.medium.subarray(10 * BLOCK, 15 * BLOCK)).toEqual(data);
    expect(driver.log.map((r) => [r.kind, r.lba, r.amount])).toEqual([
      ["write", 10, 2 * BLOCK],
      ["write", 12, 2 * BLOCK],
      ["write", 14, BLOCK],
    ]);
    expect(await run(loop, disk.read(10, new Uint8Array(5 * BLOCK)))).toEqual(data);
    expect(uncaught).toEqual([]);
  });

  it("hands DMA buffers to the driver without a copy", async () => {
    const { disk, driver, loop } = scriptedDisk();
    const buffer = disk.allocBuffer(4 * BLOCK);
    buffer.set(pattern(4 * BLOCK, 5));
    await run(loop, disk.write(0, buffer));
    const [first, second] = driver.log;
    expect(second.physical - first.physical).toBe(2 * BLOCK);
    expect(driver.medium.subarray(0, 4 * BLOCK)).toEqual(pattern(4 * BLOCK, 5));
    disk.freeBuffer(buffer);
  });

  it("holds calls back while the driver is full and never exceeds its queue depth", async () => {
    const { disk, driver, loop } = scriptedDisk({ queueDepth: 2 });
    const direct = disk.allocBuffer(8 * BLOCK);
    direct.set(pattern(8 * BLOCK, 99));
    // Zero-copy writes go to the driver at the end of the turn, which answers BLOCK_BUSY once its
    // two tags are taken; bounced writes wait for a tag (canSubmit) and for a bounce buffer.
    const zeroCopy = [0, 1, 2, 3].map((i) => disk.write(20 + i * 2, direct.subarray(i * 2 * BLOCK, (i + 1) * 2 * BLOCK)));
    const bounced = Array.from({ length: 6 }, (_, i) => disk.write(i * 2, pattern(2 * BLOCK, i)));
    expect(driver.inFlight).toBe(0);
    expect(disk.queued).toBe(10);
    const results = await settle(loop, [...zeroCopy, ...bounced]);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    expect(driver.busyAnswers).toBeGreaterThan(0);
    expect(driver.maxInFlight).toBe(2);
    expect(driver.log).toHaveLength(10);
    expect(driver.medium.subarray(20 * BLOCK, 28 * BLOCK)).toEqual(pattern(8 * BLOCK, 99));
    for (let i = 0; i < 6; i++) expect(driver.medium.subarray(i * 2 * BLOCK, (i + 1) * 2 * BLOCK)).toEqual(pattern(2 * BLOCK, i));
  });

  it("flushes only once everything ahead has completed; without a flush request, flush() is a no-op", async () => {
    const { disk, driver, loop } = scriptedDisk();
    const writes = [disk.write(0, pattern(BLOCK, 1)), disk.write(1, pattern(BLOCK, 2)), disk.write(2, pattern(BLOCK, 3))];
    await settle(loop, [...writes, disk.flush()]);
    const flush = driver.log.find((r) => r.kind === "flush");
    expect(flush?.inFlightBefore).toBe(0);
    expect(driver.log.at(-1)?.kind).toBe("flush");

    const plain = scriptedDisk({ capabilities: { flush: false, writeCache: false } });
    await run(plain.loop, plain.disk.flush());
    expect(plain.driver.log).toEqual([]);
  });

  it("discards and writes zeroes in blocks, split to the driver's limits, with unmap passed on", async () => {
    const { disk, driver, loop } = scriptedDisk({ maxDiscardBlocks: 4, maxWriteZeroesBlocks: 3 });
    driver.medium.fill(0xaa);
    await run(loop, disk.discard(8, 6));
    await run(loop, disk.writeZeroes(20, 5, { unmap: true }));
    expect(driver.log.map((r) => [r.kind, r.lba, r.amount, r.unmap])).toEqual([
      ["discard", 8, 4, false],
      ["discard", 12, 2, false],
      ["write-zeroes", 20, 3, true],
      ["write-zeroes", 23, 2, true],
    ]);
    expect(driver.medium.subarray(20 * BLOCK, 25 * BLOCK).every((b) => b === 0)).toBe(true);
    expect(driver.medium[25 * BLOCK]).toBe(0xaa);
  });

  it("refuses what the device cannot do before the driver sees it", async () => {
    const { disk, driver, loop } = scriptedDisk({ capabilities: { discard: false, readOnly: true } });
    await expect(run(loop, disk.discard(0, 1))).rejects.toSatisfy((e) => isBlockError(e, "unsupported"));
    await expect(run(loop, disk.write(0, new Uint8Array(BLOCK)))).rejects.toSatisfy((e) => isBlockError(e, "read-only"));
    await expect(run(loop, disk.writeZeroes(0, 1))).rejects.toThrow("scripted0: read-only: write-zeroes block 0: device is read-only");
    await expect(run(loop, disk.read(64, new Uint8Array(BLOCK)))).rejects.toThrow(/beyond the last block 63/);
    expect(driver.log).toEqual([]);
  });

  it("rejects the call whose request failed with the driver's I/O error; the others succeed", async () => {
    const { disk, driver, loop } = scriptedDisk();
    driver.badBlocks.add(7);
    const [good, bad] = await settle(loop, [disk.read(0, new Uint8Array(2 * BLOCK)), disk.read(6, new Uint8Array(2 * BLOCK))]);
    expect(good.status).toBe("fulfilled");
    expect(bad.status).toBe("rejected");
    const error = (bad as PromiseRejectedResult).reason;
    expect(isBlockError(error, "io")).toBe(true);
    expect((error as Error).message).toBe("scripted0: io: read block 7: medium error");
    await run(loop, disk.read(8, new Uint8Array(BLOCK)));
  });

  it("completes by interrupt when the driver has one", async () => {
    const { disk, driver, loop } = scriptedDisk({ polled: false });
    await run(loop, disk.write(3, pattern(BLOCK, 8)));
    expect(await run(loop, disk.read(3, new Uint8Array(BLOCK)))).toEqual(pattern(BLOCK, 8));
    expect(driver.kicks).toBe(2);
  });

  it("follows a capacity change the driver reports", async () => {
    const { disk, driver, loop } = scriptedDisk({ blocks: 64 });
    const before = disk.info;
    driver.pendingBlocks = 128;
    expect(disk.info.blocks).toBe(128);
    expect(disk.info).not.toBe(before);
    await run(loop, disk.write(127, pattern(BLOCK, 4)));
    driver.resize(32);
    await expect(run(loop, disk.read(40, new Uint8Array(BLOCK)))).rejects.toThrow(/beyond the last block 31/);
  });

  it("is adopted from a probe result and found by serial", () => {
    const machine = new SimMachine();
    const driver = new ScriptedBlockDriver(machine.memory);
    const loop = createEventLoop(() => machine.monotonicNs(), () => undefined);
    const probed = [
      { state: "ready", instance: { not: "a block driver" }, device: { platform: machine } },
      { state: "failed", instance: new ScriptedBlockDriver(machine.memory), device: { platform: machine } },
      { state: "ready", instance: driver, device: { platform: machine } },
    ];
    const [disk] = adoptBlockDevices(probed, loop);
    expect(disk.driver).toBe(driver);
    expect(adoptBlockDevices(probed, loop)).toEqual([]);
    expect(findBlockDevice({ serial: "scripted-serial" })).toBe(disk);
  });

  it("carries the key-value store", async () => {
    const { disk, loop } = scriptedDisk({ blocks: 64, queueDepth: 1 });
    const store = await run(loop, KvStore.open(disk));
    await run(loop, store.put("key", new TextEncoder().encode("value")));
    const reopened = await run(loop, KvStore.open(disk));
    expect(new TextDecoder().decode(await run(loop, reopened.get("key")))).toBe("value");
  });
});
