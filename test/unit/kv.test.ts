import { describe, expect, it } from "vitest";
import { crc32 } from "../../runtime/kv/crc32";
import { KvError } from "../../runtime/kv/errors";
import { KvStore } from "../../runtime/kv/store";
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
    const disk = new MemoryDisk(4096);
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
    crashed.durable[BLOCK + 34] ^= 0xff; // inside the value of the first record
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
});
