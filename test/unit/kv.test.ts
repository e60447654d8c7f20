import { describe, expect, it } from "vitest";
import { crc32 } from "../../runtime/kv/crc32";
import { KvError } from "../../runtime/kv/errors";
import { FIRST_RECORD_LBA, SUPERBLOCK_SLOTS } from "../../runtime/kv/layout";
import { KvStore, type KvDisk } from "../../runtime/kv/store";
import { CrashDisk, CrashImages, ImageDisk } from "../kv/crash-disk";
import { BLOCK, MemoryDisk } from "../kv/memory-disk";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : new TextDecoder().decode(data));

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32(bytes("123456789"))).toBe(0xcbf43926);
    expect(crc32(bytes("6789"), crc32(bytes("12345")))).toBe(0xcbf43926);
  });
});

describe("key-value store", () => {
  it("formats an empty disk, stores, overwrites and deletes keys, and keeps them across a reopen", async () => {
    const disk = new MemoryDisk(256);
    const store = await KvStore.open(disk);
    await store.put("a", bytes("one"));
    await store.put("b", bytes("two"));
    await store.put("a", bytes("uno"));
    expect(await store.delete("b")).toBe(true);
    expect(await store.delete("missing")).toBe(false);
    expect(text(await store.get("a"))).toBe("uno");
    expect(await store.get("b")).toBeUndefined();
    const reopened = await KvStore.open(disk.crash());
    expect(reopened.keys()).toEqual(["a"]);
    expect(text(await reopened.get("a"))).toBe("uno");
    expect(reopened.stats.sequence).toBe(4);
  });

  it("round-trips a 1 MiB value byte for byte", async () => {
    const disk = new MemoryDisk(8192); // a record takes at most half the log (the cleaner's reserve)
    const store = await KvStore.open(disk);
    const value = new Uint8Array(1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7919) & 0xff;
    await store.put("big", value);
    const reopened = await KvStore.open(disk.crash());
    const read = await reopened.get("big");
    expect(read && Buffer.compare(read, value)).toBe(0);
  });

  it("never shows a put that was cut short before its commit", async () => {
    const disk = new MemoryDisk(256);
    const store = await KvStore.open(disk);
    await store.put("kept", bytes("yes"));
    disk.failWritesAfter = disk.writes + 1; // the record is written, the superblock is not
    await expect(store.put("lost", bytes("no"))).rejects.toThrow("power lost");
    const rebooted = disk.crash();
    const reopened = await KvStore.open(rebooted);
    expect(reopened.keys()).toEqual(["kept"]);
    await reopened.put("after", bytes("ok"));
    expect(text(await (await KvStore.open(rebooted.crash())).get("after"))).toBe("ok");
  });

  it("reports a corrupted committed record instead of returning bad data", async () => {
    const disk = new MemoryDisk(256);
    const store = await KvStore.open(disk);
    await store.put("k", bytes("value"));
    const crashed = disk.crash();
    crashed.durable[FIRST_RECORD_LBA * BLOCK + 34] ^= 0xff; // inside the value of the first record
    const damaged = crashed.crash();
    await expect(KvStore.open(damaged)).rejects.toBeInstanceOf(KvError);
    await expect(KvStore.open(damaged)).rejects.toMatchObject({ code: "corrupt" });
  });

  it("refuses a put that does not fit and keeps what was stored", async () => {
    const disk = new MemoryDisk(8);
    const store = await KvStore.open(disk);
    await store.put("small", bytes("fits"));
    await expect(store.put("large", new Uint8Array(BLOCK * 8))).rejects.toMatchObject({ code: "full" });
    expect(text(await store.get("small"))).toBe("fits");
  });

  it("checks keys and refuses writes on a read-only disk", async () => {
    const store = await KvStore.open(new MemoryDisk(16));
    await expect(store.put("", bytes("x"))).rejects.toMatchObject({ code: "key" });
    await expect(store.put("k".repeat(300), bytes("x"))).rejects.toMatchObject({ code: "key" });
    const readOnly = await KvStore.open(new MemoryDisk(16, true));
    await expect(readOnly.put("k", bytes("x"))).rejects.toMatchObject({ code: "read-only" });
  });

  it("applies concurrent puts in call order", async () => {
    const disk = new MemoryDisk(256);
    const store = await KvStore.open(disk);
    await Promise.all([store.put("k", bytes("1")), store.put("k", bytes("2")), store.put("k", bytes("3"))]);
    expect(text(await (await KvStore.open(disk.crash())).get("k"))).toBe("3");
  });

  it("never reuses the blocks of a commit whose flush failed (a crash before the next commit keeps every key)", async () => {
    const disk = new CrashDisk(64);
    const store = await KvStore.open(disk);
    await store.put("kept", bytes("safe"));
    const superblockFlush = disk.ops.length + 3; // record write, its flush, superblock write, its flush
    disk.shouldFail = (kind, index) => kind === "flush" && index === superblockFlush;
    await expect(store.put("uncertain", new Uint8Array(3 * BLOCK))).rejects.toThrow();
    disk.shouldFail = () => false;
    const next = disk.ops.length;
    await store.put("next", bytes("small"));
    // Power cut after the next put's record is written and flushed, before its superblock: the
    // flush also made the failed commit's superblock durable.
    const image = new CrashImages(disk.ops, disk.blocks).at(next + 2, 1);
    const reopened = await KvStore.open(new ImageDisk(image));
    expect(text(await reopened.get("kept"))).toBe("safe");
    expect(reopened.keys()).toContain("kept");
    expect(text(await (await KvStore.open(new ImageDisk(new CrashImages(disk.ops, disk.blocks).at(disk.ops.length, 1)))).get("next"))).toBe("small");
  });

  it("reuses no block that a superblock copy left behind by a failed write still names", async () => {
    const disk = new CrashDisk(FIRST_RECORD_LBA + 14); // a 14-block log
    const store = await KvStore.open(disk);
    const value = (fill: number) => new Uint8Array(1800).fill(fill); // a 4-block record
    await store.put("a", value(1));
    await store.put("a", value(2));
    // This put cleans the two older records, moving the start from 0 to 8; the copy in slot 1
    // fails to be written, so slot 1 still names blocks 0..8.
    const slot1Write = disk.ops.length + 4; // record write, flush, slot 0 write, flush, slot 1 write
    disk.shouldFail = (kind, index) => kind === "write" && index === slot1Write;
    await expect(store.put("a", value(3))).rejects.toMatchObject({ code: "io" });
    disk.shouldFail = () => false;
    const next = disk.ops.length;
    await store.put("b", value(4)); // 4 blocks from block 12: would wrap over blocks 0 and 1
    const recordWrite = disk.ops.findIndex((op, index) => index >= next && op.kind === "write" && op.lba >= FIRST_RECORD_LBA);
    const recordFlush = disk.ops.findIndex((op, index) => index > recordWrite && op.kind === "flush");
    // Power cut once b's record is flushed, and slot 0 found bad: slot 1 must name intact records.
    const image = new CrashImages(disk.ops, disk.blocks).at(recordFlush + 1, 1);
    image.fill(0xa5, 0, BLOCK);
    const reopened = await KvStore.open(new ImageDisk(image));
    expect([2, 3]).toContain((await reopened.get("a"))?.[0]);
  });

  it("rejects a failed write or flush with KvError io and keeps working", async () => {
    const disk = new CrashDisk(64);
    const store = await KvStore.open(disk);
    await store.put("a", bytes("1"));
    disk.shouldFail = (kind) => kind === "write";
    await expect(store.put("b", bytes("2"))).rejects.toMatchObject({ name: "KvError", code: "io" });
    disk.shouldFail = (kind) => kind === "flush";
    await expect(store.delete("a")).rejects.toMatchObject({ code: "io" });
    disk.shouldFail = () => false;
    await store.put("c", bytes("3"));
    const reopened = await KvStore.open(new ImageDisk(new CrashImages(disk.ops, disk.blocks).at(disk.ops.length, 1)));
    expect(text(await reopened.get("c"))).toBe("3");
    expect(await reopened.get("b")).toBeUndefined(); // its record never reached a commit
  });
});

/** A disk whose reads of `lba` return zeros the first `times` times (a transient bad read). */
function zeroReads(disk: KvDisk, lba: number, times: number): KvDisk {
  let left = times;
  return {
    info: disk.info,
    read: async (at, into) => {
      if (at === lba && left > 0) {
        left--;
        into.fill(0);
        return into;
      }
      return disk.read(at, into);
    },
    write: (at, data) => disk.write(at, data),
    flush: () => disk.flush(),
  };
}

describe("opening and formatting", () => {
  async function storeWithKey(): Promise<MemoryDisk> {
    const disk = new MemoryDisk(64);
    const store = await KvStore.open(disk);
    await store.put("key", bytes("value"));
    return disk.crash();
  }

  it("survives a zero-filled read of block 0 instead of formatting", async () => {
    const disk = await storeWithKey();
    const store = await KvStore.open(zeroReads(disk, 0, 1));
    expect(text(await store.get("key"))).toBe("value");
    expect(text(await (await KvStore.open(disk.crash())).get("key"))).toBe("value");
  });

  it("opens from the other superblock when one is destroyed, in either slot", async () => {
    for (const slot of SUPERBLOCK_SLOTS) {
      const disk = await storeWithKey();
      disk.durable.fill(0xa5, slot * BLOCK, (slot + 1) * BLOCK);
      const store = await KvStore.open(disk.crash());
      expect(text(await store.get("key"))).toBe("value");
    }
  });

  it("opens from the other superblock when one keeps reading as zeros, and still writes", async () => {
    const disk = await storeWithKey();
    const store = await KvStore.open(zeroReads(disk, 0, Infinity));
    expect(text(await store.get("key"))).toBe("value");
    await store.put("more", bytes("data"));
    const reopened = await KvStore.open(disk.crash());
    expect(text(await reopened.get("key"))).toBe("value");
    expect(text(await reopened.get("more"))).toBe("data");
  });

  it("refuses with KvError corrupt, without writing, a disk with no valid superblock that is not blank", async () => {
    const disk = await storeWithKey();
    for (const slot of SUPERBLOCK_SLOTS) disk.durable.fill(0, slot * BLOCK, (slot + 1) * BLOCK);
    const before = disk.durable.slice();
    const damaged = disk.crash();
    await expect(KvStore.open(damaged)).rejects.toMatchObject({ name: "KvError", code: "corrupt" });
    expect(Buffer.compare(damaged.durable, before)).toBe(0);
    const formatted = await KvStore.open(damaged, { format: true });
    expect(formatted.keys()).toEqual([]);
    expect((await KvStore.open(damaged.crash())).keys()).toEqual([]);
  });

  it("formats on request even over a valid store, but never a read-only disk", async () => {
    const disk = await storeWithKey();
    expect((await KvStore.open(disk, { format: true })).keys()).toEqual([]);
    await expect(KvStore.open(new MemoryDisk(16, true), { format: true })).rejects.toMatchObject({ code: "read-only" });
  });
});
