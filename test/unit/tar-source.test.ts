import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TarError } from "../../runtime/fs/tar-header";
import { TarSource } from "../../runtime/fs/tar-source";
import { BLOCK, archive, entry, header, paxRecord } from "../fs/tar-builder";
import { ByteDisk } from "../fs/byte-disk";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const open = (bytes: Uint8Array, blockSize = BLOCK) => TarSource.open(new ByteDisk(bytes, blockSize));

async function refused(bytes: Uint8Array, code: TarError["code"]): Promise<TarError> {
  const error = await open(bytes).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TarError);
  expect((error as TarError).code).toBe(code);
  return error as TarError;
}

describe("tar source", () => {
  it("indexes files and directories, implied ones included, and reads bytes at any offset", async () => {
    const big = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const source = await open(
      archive([entry({ name: "./", type: "5" }), entry({ name: "./a.txt", data: "alpha" }), entry({ name: "./deep/er/b.bin", data: big, mtime: 1_000 })], 4 * 4096),
      4096,
    );
    expect(await source.stat("/")).toMatchObject({ kind: "directory" });
    expect(await source.stat("/a.txt")).toEqual({ name: "a.txt", kind: "file", size: 5, modifiedMs: 1_790_000_000_000 });
    expect(await source.stat("/deep/er")).toMatchObject({ name: "er", kind: "directory" });
    expect(await source.stat("/nothing")).toBeNull();
    expect((await source.list("/")).map((e) => e.name)).toEqual(["a.txt", "deep"]);
    expect(text(await source.read("/a.txt", 1, 3))).toBe("lph");
    expect(text(await source.read("/a.txt", 3, 100))).toBe("ha");
    expect((await source.read("/a.txt", 5, 10)).length).toBe(0);
    expect(await source.read("/deep/er/b.bin", 1000, 1500)).toEqual(big.subarray(1000, 2500));
    expect((await source.stat("/deep/er/b.bin"))?.modifiedMs).toBe(1_000_000);
  });

  it("reads many small headers through one window of the disk", async () => {
    const disk = new ByteDisk(archive(Array.from({ length: 40 }, (_, i) => entry({ name: `f${i}`, data: "x" }))));
    const source = await TarSource.open(disk);
    expect((await source.list("/")).length).toBe(40);
    expect(disk.reads).toBe(1);
  });

  it("takes POSIX prefixes, GNU long names and pax paths, sizes and times", async () => {
    const long = `${"d".repeat(120)}/${"f".repeat(130)}.txt`;
    const pax = paxRecord("path", "pax/named.txt") + paxRecord("mtime", "1234.5") + paxRecord("comment", "ignored");
    const source = await open(
      archive([
        entry({ name: "file.txt", prefix: "pre/fix", data: "p" }),
        entry({ name: "././@LongLink", type: "L", data: `${long}\0`, magic: "gnu" }),
        entry({ name: "truncated-name", data: "long", magic: "gnu" }),
        entry({ name: "PaxHeaders/x", type: "x", data: pax }),
        entry({ name: "short", data: "pax" }),
        entry({ name: "link", type: "2" }),
      ]),
    );
    expect(text(await source.read("/pre/fix/file.txt", 0, 10))).toBe("p");
    expect(text(await source.read(`/${long}`, 0, 10))).toBe("long");
    expect(await source.stat("/pax/named.txt")).toEqual({ name: "named.txt", kind: "file", size: 3, modifiedMs: 1_234_500 });
    expect(await source.stat("/short")).toBeNull();
    expect(await source.stat("/link")).toBeNull();
  });

  it("takes a later entry for the same path, as tar extracts it", async () => {
    const source = await open(archive([entry({ name: "a", data: "old" }), entry({ name: "a", data: "newer" })]));
    expect(text(await source.read("/a", 0, 10))).toBe("newer");
  });

  it("opens a blank disk as an empty archive", async () => {
    const source = await open(new Uint8Array(8 * BLOCK));
    expect(await source.list("/")).toEqual([]);
  });

  it("refuses a header whose checksum does not match", async () => {
    await refused(archive([entry({ name: "a", data: "x", checksumError: 1 })]), "checksum");
    const error = await refused(archive([entry({ name: "a", data: "x" }), entry({ name: "b", checksumError: -3 })]), "checksum");
    expect(error.offset).toBe(2 * BLOCK);
  });

  it("refuses garbage, missing magic and bad octal fields", async () => {
    await refused(archive([Uint8Array.from({ length: BLOCK }, (_, i) => (i * 13) & 0xff)]), "checksum");
    await refused(archive([entry({ name: "a", magic: "none" })]), "format");
    await refused(archive([entry({ name: "a", sizeField: "12a\0" })]), "field");
    await refused(archive([entry({ name: "a", sizeField: "\0" })]), "field");
    const base256 = header({ name: "a", sizeField: "\x80" });
    await refused(archive([base256]), "unsupported");
    await refused(archive([entry({ name: "a", type: "S" })]), "unsupported");
  });

  it("refuses data running past the end of the disk", async () => {
    const image = archive([entry({ name: "a", sizeField: `${(1024 * 1024).toString(8).padStart(11, "0")}\0` })]);
    await refused(image, "truncated");
  });

  it("refuses names that climb out of the root or mix files and directories", async () => {
    await refused(archive([entry({ name: "../etc/passwd", data: "x" })]), "name");
    await refused(archive([entry({ name: "a/../../b", data: "x" })]), "name");
    await refused(archive([entry({ name: "a", data: "x" }), entry({ name: "a/b", data: "y" })]), "name");
    await refused(archive([entry({ name: "a/", type: "5" }), entry({ name: "a", data: "y" })]), "name");
    await refused(archive([entry({ name: "./", data: "y" })]), "name");
  });

  it("bounds entries, long names, pax headers and reads", async () => {
    const many = archive(Array.from({ length: 5 }, (_, i) => entry({ name: `f${i}` })));
    expect(await TarSource.open(new ByteDisk(many), { maxEntries: 4 }).catch((e: TarError) => e.code)).toBe("limit");
    const longName = archive([entry({ name: "L", type: "L", data: "n".repeat(5000) }), entry({ name: "x" })]);
    await refused(longName, "limit");
    const bigPax = archive([entry({ name: "x", type: "x", data: paxRecord("comment", "c".repeat(70_000)) }), entry({ name: "y" })]);
    await refused(bigPax, "limit");
    await refused(archive([entry({ name: "x", type: "x", data: "99 path=a\n" }), entry({ name: "y" })]), "field");
    await refused(archive([entry({ name: "x", type: "x", data: paxRecord("size", "-1") }), entry({ name: "y" })]), "field");
    const source = await TarSource.open(new ByteDisk(archive([entry({ name: "a", data: "abc" })])), { maxReadBytes: 2 });
    await expect(source.read("/a", 0, 3)).rejects.toBeInstanceOf(RangeError);
    await expect(source.read("/", 0, 1)).rejects.toBeInstanceOf(RangeError);
    await expect(source.read("/a", -1, 1)).rejects.toBeInstanceOf(RangeError);
    await expect(source.list("/a")).rejects.toBeInstanceOf(RangeError);
  });

  it("reads an archive made by the host's tar (GNU format, long names, nested folders)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vireo-tar-"));
    try {
      const site = join(dir, "site");
      const long = "n".repeat(150);
      mkdirSync(join(site, "css", long), { recursive: true });
      writeFileSync(join(site, "index.html"), "<h1>hi</h1>");
      writeFileSync(join(site, "css", "site.css"), "body{}");
      writeFileSync(join(site, "css", long, "deep.txt"), "deep");
      const made = spawnSync("tar", ["cf", join(dir, "site.tar"), "-C", site, "."]);
      expect(made.status, made.stderr.toString()).toBe(0);
      const source = await open(new Uint8Array(readFileSync(join(dir, "site.tar"))));
      expect(text(await source.read("/index.html", 0, 100))).toBe("<h1>hi</h1>");
      expect(text(await source.read(`/css/${long}/deep.txt`, 0, 100))).toBe("deep");
      expect((await source.list("/css")).map((e) => e.name).sort()).toEqual([long, "site.css"].sort());
      expect((await source.stat("/css/site.css"))?.modifiedMs).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
