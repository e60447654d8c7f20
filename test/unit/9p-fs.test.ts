// The file API over a share (runtime/fs) against the server model: node:fs/promises-like calls,
// transfers larger than msize with several requests in flight, paths that would climb above the
// root, and the FileSource adapter HTTP serves from.
import { describe, expect, it } from "vitest";
import { FsError, FsPathError, Share, adoptShares, openShare, shareFileSource } from "../../runtime/fs/index";
import { P9 } from "../sim/ninep/protocol";
import { assertNoViolations } from "../sim/violations";
import { pattern } from "./blk-harness";
import { rejection, shareRig, utf8 } from "./9p-harness";

async function mounted(options: Parameters<typeof shareRig>[0] = {}) {
  const rig = shareRig(options);
  await rig.run(rig.client.connect("root", "", 0));
  return { ...rig, share: new Share(rig.ninep.tag, rig.client) };
}

describe("runtime/fs over virtio-9p", () => {
  it("round-trips a 1 MiB file in chunks of the io unit, several in flight", async () => {
    const rig = await mounted({ limits: { msize: 16 * 1024 } });
    const data = pattern(1024 * 1024, 5);
    await rig.run(rig.share.writeFile("/big.bin", data));
    expect(Buffer.compare(rig.model.server.tree.read("/big.bin")!, data)).toBe(0);
    const back = await rig.run(rig.share.readFile("big.bin"));
    expect(Buffer.compare(back, data)).toBe(0);
    expect(rig.model.server.counts.get(P9.Tread)).toBe(Math.ceil(data.length / rig.client.ioUnit));
    await rig.quiesce();
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("reads on where the server answers a read in part", async () => {
    const rig = await mounted({ limits: { msize: 16 * 1024 } });
    const data = pattern(100_000, 9);
    rig.model.server.tree.file("/f.bin", data);
    rig.model.server.maxReadBytes = 5000;
    expect(Buffer.compare(await rig.run(rig.share.readFile("/f.bin")), data)).toBe(0);
    assertNoViolations(rig.machine.violations);
  });

  it("lists, stats, makes, renames and removes", async () => {
    const rig = await mounted();
    const { share, model } = rig;
    model.server.tree.file("/www/index.html", "<h1>hi</h1>");
    model.server.tree.file("/www/css/site.css", "body{}");
    expect((await rig.run(share.readdir("/www"))).sort()).toEqual(["css", "index.html"]);
    const typed = await rig.run(share.readdir("/www", { withFileTypes: true }));
    expect(typed.find((e) => e.name === "css")?.isDirectory()).toBe(true);
    const stats = await rig.run(share.stat("/www/index.html"));
    expect([stats.isFile(), stats.size]).toEqual([true, 11]);
    expect(await rig.run(share.readFile("/www/index.html", "utf8"))).toBe("<h1>hi</h1>");
    await rig.run(share.mkdir("/out/a/b", { recursive: true }));
    await rig.run(share.mkdir("/out/a/b", { recursive: true }));
    expect(model.server.tree.lookup("/out/a/b")?.kind).toBe("dir");
    await rig.run(share.writeFile("/out/a/b/result.txt", "42"));
    await rig.run(share.rename("/out/a/b/result.txt", "/out/final.txt"));
    expect(model.server.tree.read("/out/final.txt")).toEqual(utf8("42"));
    expect(model.server.tree.lookup("/out/a/b/result.txt")).toBeUndefined();
    expect(await rejection(rig.run, share.rm("/out"))).toMatchObject({ code: "EISDIR" });
    await rig.run(share.rm("/out", { recursive: true }));
    expect(model.server.tree.lookup("/out")).toBeUndefined();
    await rig.run(share.rm("/out", { force: true }));
    const missing = await rejection(rig.run, share.stat("/out"));
    expect(missing).toMatchObject({ code: "ENOENT", syscall: "stat", path: "/out" });
    expect(missing.message).toBe("ENOENT: no such file or directory, stat '/out'");
    expect(await rejection(rig.run, share.mkdir("/www"))).toMatchObject({ code: "EEXIST" });
    expect(await rejection(rig.run, share.readFile("/www"))).toMatchObject({ code: "EISDIR" });
    await rig.quiesce();
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("lists a directory over several Treaddirs, continuing from the server's 64-bit cookies", async () => {
    const rig = await mounted({ limits: { msize: 4096 } });
    const names = Array.from({ length: 300 }, (_, i) => `file-${String(i).padStart(3, "0")}.txt`);
    for (const name of names) rig.model.server.tree.file(`/many/${name}`, "x");
    expect((await rig.run(rig.share.readdir("/many"))).sort()).toEqual(names);
    expect(rig.model.server.counts.get(P9.Treaddir)).toBeGreaterThan(3);
    const limited = new Share("host", rig.client, { maxDirectoryEntries: 100 });
    expect(await rejection(rig.run, limited.readdir("/many"))).toMatchObject({ code: "E2BIG" });
    assertNoViolations(rig.machine.violations);
  });

  it("opens handles that read, write, stat, truncate and close", async () => {
    const rig = await mounted();
    const { share, model } = rig;
    const handle = await rig.run(share.open("/log.txt", "w+"));
    await rig.run(handle.write("hello "));
    await rig.run(handle.write("world"));
    const buffer = new Uint8Array(32);
    const { bytesRead } = await rig.run(handle.read(buffer, 0, 32, 6));
    expect(new TextDecoder().decode(buffer.subarray(0, bytesRead))).toBe("world");
    expect((await rig.run(handle.stat())).size).toBe(11);
    await rig.run(handle.truncate(5));
    await rig.run(handle.sync());
    await rig.run(handle.close());
    expect(await rejection(rig.run, handle.read(buffer))).toMatchObject({ code: "EBADF" });
    expect(model.server.tree.read("/log.txt")).toEqual(utf8("hello"));
    expect(await rejection(rig.run, share.open("/log.txt", "wx"))).toMatchObject({ code: "EEXIST" });
    expect(await rejection(rig.run, share.open("/missing.txt"))).toMatchObject({ code: "ENOENT" });
    const append = await rig.run(share.open("/log.txt", "a"));
    await rig.run(append.write("!"));
    await rig.run(append.close());
    expect(model.server.tree.read("/log.txt")).toEqual(utf8("hello!"));
    await rig.quiesce();
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("refuses every path that climbs above the share's root, before anything is sent", async () => {
    const rig = await mounted();
    rig.model.server.tree.file("/a/inside.txt", "in");
    const before = rig.model.server.counts.get(P9.Twalk) ?? 0;
    for (const path of ["..", "/../etc/passwd", "a/../../x", "./a/../..", "a/../../a/inside.txt"]) {
      const error = await rejection(rig.run, rig.share.readFile(path));
      expect(error).toBeInstanceOf(FsPathError);
      expect(error).toMatchObject({ code: "EACCES" });
    }
    expect(await rejection(rig.run, rig.share.writeFile("../escape.txt", "x"))).toBeInstanceOf(FsPathError);
    expect(await rejection(rig.run, rig.share.rename("a/inside.txt", "../../out.txt"))).toBeInstanceOf(FsPathError);
    expect(await rejection(rig.run, rig.share.readFile("a\0b"))).toMatchObject({ code: "EINVAL" });
    expect(rig.model.server.counts.get(P9.Twalk) ?? 0).toBe(before);
    // ".." that stays inside is resolved here, not sent.
    expect(await rig.run(rig.share.readFile("a/../a/./inside.txt", "utf8"))).toBe("in");
    assertNoViolations(rig.machine.violations);
  });

  it("serves a share as a FileSource", async () => {
    const rig = await mounted();
    rig.model.server.tree.file("/site/index.html", "0123456789");
    rig.model.server.tree.dir("/site/img");
    rig.model.server.tree.symlink("/site/link", "/site/index.html");
    const source = shareFileSource(rig.share);
    expect(await rig.run(source.stat("/site/index.html"))).toMatchObject({ name: "index.html", kind: "file", size: 10 });
    expect(await rig.run(source.stat("/site"))).toMatchObject({ name: "site", kind: "directory", size: 0 });
    expect(await rig.run(source.stat("/"))).toMatchObject({ name: "", kind: "directory" });
    expect(await rig.run(source.stat("/site/none"))).toBeNull();
    expect(await rig.run(source.stat("/site/index.html/x"))).toBeNull();
    expect(await rig.run(source.stat("/site/link"))).toBeNull();
    expect(new TextDecoder().decode(await rig.run(source.read("/site/index.html", 3, 4)))).toBe("3456");
    expect((await rig.run(source.read("/site/index.html", 8, 10))).length).toBe(2);
    const listed = await rig.run(source.list("/site"));
    expect(listed.map((e) => [e.name, e.kind]).sort()).toEqual([
      ["img", "directory"],
      ["index.html", "file"],
    ]);
    await rig.quiesce();
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("opens shares by tag, attaching each once", async () => {
    const rig = shareRig({ models: [{ tag: "one" }, { tag: "www" }] });
    adoptShares(rig.shares);
    const [a, b] = await rig.run(Promise.all([openShare("www"), openShare("www")]));
    expect(a).toBe(b);
    expect(a.tag).toBe("www");
    expect(rig.models[1].server.counts.get(P9.Tattach)).toBe(1);
    expect(rig.models[0].server.counts.get(P9.Tattach)).toBeUndefined();
    const missing = await rejection(rig.run, openShare("nope"));
    expect(missing).toBeInstanceOf(FsError);
    expect(missing).toMatchObject({ code: "ENODEV" });
  });

  it("flushes what is in flight when the caller aborts, and goes on", async () => {
    const rig = await mounted({ limits: { msize: 8192 } });
    rig.model.server.tree.file("/big.bin", pattern(256 * 1024, 3));
    for (let i = 0; i < 4; i++) rig.model.server.faults.push({ on: P9.Tread, kind: "silent" });
    const controller = new AbortController();
    const reading = rig.share.readFile("/big.bin", { signal: controller.signal });
    // Walk, getattr and lopen first, then four reads the server holds.
    for (let turns = 0; rig.model.held.size < 4 && turns < 100; turns++) await rig.run(Promise.resolve());
    expect(rig.model.held.size).toBe(4);
    controller.abort();
    expect(await rejection(rig.run, reading)).toMatchObject({ code: "ABORT_ERR", syscall: "open" });
    expect(rig.model.server.counts.get(P9.Tflush)).toBe(4);
    expect(rig.model.held.size).toBe(0);
    const aborted = new AbortController();
    aborted.abort();
    expect(await rejection(rig.run, rig.share.writeFile("/x", "data", { signal: aborted.signal }))).toMatchObject({ code: "ABORT_ERR" });
    expect(Buffer.compare(await rig.run(rig.share.readFile("/big.bin")), pattern(256 * 1024, 3))).toBe(0);
    await rig.quiesce();
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("turns timeouts and protocol errors into FsErrors", async () => {
    const rig = await mounted({ limits: { requestTimeoutMs: 5 } });
    rig.model.server.tree.file("/f", "x");
    rig.model.server.faults.push({ on: P9.Tgetattr, kind: "silent" });
    expect(await rejection(rig.run, rig.share.stat("/f"))).toMatchObject({ code: "ETIMEDOUT", syscall: "stat" });
    rig.model.server.faults.push({ on: P9.Tgetattr, kind: "wrong-tag" });
    expect(await rejection(rig.run, rig.share.stat("/f"))).toMatchObject({ code: "EPROTO" });
    expect((await rig.run(rig.share.stat("/f"))).size).toBe(1);
  });
});
