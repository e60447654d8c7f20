import { describe, expect, it } from "vitest";
import { FIRST_RECORD_LBA } from "../../runtime/kv/layout";
import { KvStore } from "../../runtime/kv/store";
import { CRASH_BLOCK, ImageDisk } from "../kv/crash-disk";
import { mulberry32 } from "../kv/random";

const MIB = 1024 * 1024;
/** The log's blocks (usedBlocks counts the superblocks too). */
const logUsed = (store: KvStore) => store.stats.usedBlocks - FIRST_RECORD_LBA;
/** The guarantee stated in runtime/kv/store.ts: no growth beyond max(previous, 2 x live). */
const SPACE_FACTOR = 2;

describe("key-value store space reclamation", () => {
  it("overwrites one 20 KB key 10,000 times on an 8 MiB disk without filling it", async () => {
    const disk = new ImageDisk(new Uint8Array(8 * MIB));
    const store = await KvStore.open(disk);
    const value = new Uint8Array(20 * 1024);
    const recordBlocks = Math.ceil((32 + "big".length + value.length) / CRASH_BLOCK); // header, key, value
    for (let i = 0; i < 10_000; i++) {
      value[0] = i & 0xff;
      value[value.length - 1] = i >> 8;
      await store.put("big", value);
      expect(logUsed(store)).toBeLessThanOrEqual(SPACE_FACTOR * recordBlocks);
    }
    const read = await (await KvStore.open(disk)).get("big");
    expect(read?.[0]).toBe(9_999 & 0xff);
    expect(read?.[read.length - 1]).toBe(9_999 >> 8);
    expect(store.stats.liveBlocks).toBe(recordBlocks);
  });

  it("keeps many overwritten keys of mixed sizes within the bound and refuses only what cannot fit", async () => {
    const disk = new ImageDisk(new Uint8Array(MIB));
    const store = await KvStore.open(disk);
    const random = mulberry32(5);
    const sizes = new Map<string, number>();
    for (let i = 0; i < 3_000; i++) {
      const key = `k${Math.floor(random() * 40)}`;
      const length = Math.floor(random() * (random() < 0.1 ? 12_000 : 2_000));
      const before = logUsed(store);
      if (random() < 0.1) {
        await store.delete(key);
        sizes.delete(key);
      } else {
        await store.put(key, new Uint8Array(length).fill(i & 0xff));
        sizes.set(key, length);
      }
      expect(logUsed(store)).toBeLessThanOrEqual(Math.max(before, SPACE_FACTOR * store.stats.liveBlocks));
    }
    const reopened = await KvStore.open(disk);
    for (const [key, length] of sizes) expect((await reopened.get(key))?.length).toBe(length);
    expect(reopened.keys().sort()).toEqual([...sizes.keys()].sort());
    // Fill the disk: "full" comes only once the live data nearly fills it, and deletes still work.
    let stored = 0;
    for (let i = 0; ; i++) {
      try {
        await store.put(`fill${i}`, new Uint8Array(8_000));
        stored++;
      } catch (error) {
        expect(error).toMatchObject({ code: "full" });
        break;
      }
    }
    expect(store.stats.liveBlocks).toBeGreaterThan(store.stats.totalBlocks * 0.8);
    expect(await store.delete("fill0")).toBe(true);
    expect(stored).toBeGreaterThan(0);
    await store.put("after-delete", new Uint8Array(100));
  });
});
