// Every field of an R-message the client uses is checked before it is trusted: the header against
// the used length and the negotiated msize, Rlerror's shape, counts against what was asked, 64-bit
// values against 2^53, times, names and qids. The server withholds one request and the test
// answers it with bytes of its own.
import { describe, expect, it } from "vitest";
import { GetattrMask, OpenFlag } from "../../drivers/virtio/9p/constants";
import { NinePError, NineProtocolError } from "../../drivers/virtio/9p/errors";
import { P9, P9_HEADER } from "../sim/ninep/protocol";
import { Builder } from "../sim/ninep/wire";
import { assertNoViolations } from "../sim/violations";
import { rejection, shareRig } from "./9p-harness";

type Rig = ReturnType<typeof shareRig>;

async function connected(options: Parameters<typeof shareRig>[0] = {}) {
  const rig = shareRig(options);
  await rig.run(rig.client.connect("root", "", 0));
  return rig;
}

/** Sends `request` (of type `on`), which the server withholds, and answers it with `reply(tag)`. */
async function answered<T>(rig: Rig, on: number, request: () => Promise<T>, reply: (tag: number) => Uint8Array): Promise<T> {
  rig.model.server.faults.push({ on, kind: "silent" });
  const before = new Set(rig.model.held.keys());
  const promise = request();
  for (let turns = 0; rig.model.held.size === before.size && turns < 100; turns++) await rig.run(Promise.resolve());
  const tag = [...rig.model.held.keys()].find((t) => !before.has(t));
  if (tag === undefined) throw new Error("the request was not withheld");
  rig.model.answerHeld(tag, reply(tag));
  return rig.run(promise);
}

async function refused<T>(rig: Rig, on: number, request: () => Promise<T>, reply: (tag: number) => Uint8Array): Promise<Error> {
  return rejection((p) => p, answered(rig, on, request, reply));
}

const DIR_QID = { type: 0x80, version: 0, path: 1 };
const FILE_QID = { type: 0, version: 0, path: 2 };

/** An Rgetattr with every field as given (times as [sec, nsec]). */
function rgetattr(tag: number, fields: { size?: number | bigint; mtime?: [number, number]; nlink?: number; blocks?: number } = {}): Uint8Array {
  const b = new Builder().u64(0x7ff).qid(FILE_QID).u32(0o100644).u32(1000).u32(100).u64(fields.nlink ?? 3).u64(0).u64(fields.size ?? 10).u64(4096).u64(fields.blocks ?? 8);
  b.u64(1).u64(0);
  const [sec, nsec] = fields.mtime ?? [2, 0];
  b.u64(sec).u64(nsec);
  b.u64(3).u64(0);
  b.u64(4).u64(0);
  b.u64(0).u64(0);
  return b.done(P9.Rgetattr, tag);
}

describe("virtio-9p reply header", () => {
  it("refuses a used length shorter than a header, a size[4] below a header or above the negotiated msize, and goes on", async () => {
    const rig = shareRig();
    rig.model.server.maxMsize = 8192;
    await rig.run(rig.client.connect("root", "", 0));
    const statfs = () => rig.client.statfs(rig.client.rootFid);
    const short = await refused(rig, P9.Tstatfs, statfs, () => Uint8Array.from([7, 0, 0]));
    expect(short).toBeInstanceOf(NineProtocolError);
    expect(short).toMatchObject({ code: "reply" });
    expect(short.message).toMatch(/Tstatfs: used length 3 is shorter than a header/);
    const tiny = await refused(rig, P9.Tstatfs, statfs, (tag) => Uint8Array.from([5, 0, 0, 0, P9.Rstatfs, tag & 0xff, tag >> 8]));
    expect(tiny).toBeInstanceOf(NineProtocolError);
    expect(tiny.message).toMatch(/Tstatfs: size 5 against used length 7 and msize 8192/);
    // The reply buffers hold the proposed msize; the server agreed to 8192.
    const big = new Builder().raw(new Uint8Array(8200 - P9_HEADER));
    const huge = await refused(rig, P9.Tstatfs, statfs, (tag) => big.done(P9.Rstatfs, tag));
    expect(huge).toBeInstanceOf(NineProtocolError);
    expect(huge.message).toMatch(/size 8200 against used length 8200 and msize 8192/);
    // Exactly msize passes the header check; what follows the last field is refused after it.
    const full = new Builder().u32(1).u32(4096).u64(1).u64(2).u64(3).u64(4).u64(5).u64(6).u32(255).raw(new Uint8Array(8192 - P9_HEADER - 60));
    const exact = await refused(rig, P9.Tstatfs, statfs, (tag) => full.done(P9.Rstatfs, tag));
    expect(exact).toMatchObject({ code: "reply", detail: `Tstatfs: ${8192 - P9_HEADER - 60} bytes after the last field` });
    expect((await rig.run(statfs())).blockSize).toBe(4096);
    assertNoViolations(rig.machine.violations);
  });

  it("takes Rlerror's errno as a typed error, and refuses an Rlerror with bytes after errno", async () => {
    const rig = await connected();
    const statfs = () => rig.client.statfs(rig.client.rootFid);
    const error = await refused(rig, P9.Tstatfs, statfs, (tag) => new Builder().u32(28).done(P9.Rlerror, tag));
    expect(error).toBeInstanceOf(NinePError);
    expect(error).toMatchObject({ errno: 28, code: "ENOSPC" });
    expect(error.message).toMatch(/Tstatfs refused/);
    const long = await refused(rig, P9.Tstatfs, statfs, (tag) => new Builder().u32(28).u32(0).done(P9.Rlerror, tag));
    expect(long).toBeInstanceOf(NineProtocolError);
    expect(long.message).toMatch(/Rlerror: 4 bytes after the last field/);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p reply counts", () => {
  it("refuses an Rread or Rwrite of more bytes than asked, even when the bytes are there", async () => {
    const rig = await connected();
    rig.model.server.tree.file("/f", "0123456789abcdefXYZ");
    const file = await rig.run(rig.client.walk(rig.client.rootFid, ["f"]));
    await rig.run(rig.client.lopen(file.fid, OpenFlag.ReadWrite));
    const target = new Uint8Array(16);
    const read = await refused(rig, P9.Tread, () => rig.client.read(file.fid, 0, target), (tag) => new Builder().u32(17).raw(new Uint8Array(17)).done(P9.Rread, tag));
    expect(read).toBeInstanceOf(NineProtocolError);
    expect(read.message).toMatch(/Rread of 17 bytes for a Tread of 16/);
    // Exactly as many as asked is a whole read.
    expect(await answered(rig, P9.Tread, () => rig.client.read(file.fid, 0, target), (tag) => new Builder().u32(16).raw(new Uint8Array(16).fill(7)).done(P9.Rread, tag))).toBe(16);
    expect(target.every((b) => b === 7)).toBe(true);
    const write = await refused(rig, P9.Twrite, () => rig.client.write(file.fid, 0, new Uint8Array(4)), (tag) => new Builder().u32(5).done(P9.Rwrite, tag));
    expect(write).toBeInstanceOf(NineProtocolError);
    expect(write.message).toMatch(/Rwrite of 5 bytes for a Twrite of 4/);
    expect(await answered(rig, P9.Twrite, () => rig.client.write(file.fid, 0, new Uint8Array(4)), (tag) => new Builder().u32(4).done(P9.Rwrite, tag))).toBe(4);
    assertNoViolations(rig.machine.violations);
  });

  it("refuses an Rreaddir whose count disagrees with the bytes that follow or exceeds what was asked", async () => {
    const rig = await connected();
    const dir = await rig.run(rig.client.walk(rig.client.rootFid, []));
    await rig.run(rig.client.lopen(dir.fid, OpenFlag.ReadOnly));
    const entry = new Builder().qid(FILE_QID).u64(1).u8(8).str("a").done(0, 0).subarray(P9_HEADER);
    const readdir = (count: number) => () => rig.client.readdir(dir.fid, 0n, count);
    const short = await refused(rig, P9.Treaddir, readdir(4096), (tag) => new Builder().u32(entry.length - 1).raw(entry).done(P9.Rreaddir, tag));
    expect(short.message).toMatch(`Rreaddir count ${entry.length - 1} but ${entry.length} bytes follow`);
    const over = await refused(rig, P9.Treaddir, readdir(entry.length - 1), (tag) => new Builder().u32(entry.length).raw(entry).done(P9.Rreaddir, tag));
    expect(over.message).toMatch(`Rreaddir of ${entry.length} bytes for a Treaddir of ${entry.length - 1}`);
    const exact = await answered(rig, P9.Treaddir, readdir(entry.length), (tag) => new Builder().u32(entry.length).raw(entry).done(P9.Rreaddir, tag));
    expect(exact).toEqual([{ qid: { ...FILE_QID, path: 2n }, offset: 1n, type: 8, name: "a" }]);
    assertNoViolations(rig.machine.violations);
  });

  it("refuses an Rwalk of more qids than names, and gives the new fid back", async () => {
    const rig = await connected();
    rig.model.server.tree.file("/f", "x");
    const error = await refused(rig, P9.Twalk, () => rig.client.walk(rig.client.rootFid, ["f"]), (tag) => new Builder().u16(2).qid(FILE_QID).qid(FILE_QID).done(P9.Rwalk, tag));
    expect(error).toBeInstanceOf(NineProtocolError);
    expect(error.message).toMatch(/Rwalk of 2 qids for 1 names/);
    await rig.quiesce();
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p reply values", () => {
  it("takes 64-bit values up to 2^53 - 1 and refuses larger ones", async () => {
    const rig = await connected();
    const getattr = () => rig.client.getattr(rig.client.rootFid, GetattrMask.Basic);
    const max = await answered(rig, P9.Tgetattr, getattr, (tag) => rgetattr(tag, { size: Number.MAX_SAFE_INTEGER }));
    expect(max.size).toBe(Number.MAX_SAFE_INTEGER);
    const error = await refused(rig, P9.Tgetattr, getattr, (tag) => rgetattr(tag, { size: 2n ** 53n }));
    expect(error).toBeInstanceOf(NineProtocolError);
    expect(error.message).toMatch(/size 0x20000000000000 is beyond 2\^53/);
    assertNoViolations(rig.machine.violations);
  });

  it("decodes Rgetattr's fields and times, and refuses a nanosecond field of a second or more", async () => {
    const rig = await connected();
    const getattr = () => rig.client.getattr(rig.client.rootFid, GetattrMask.Basic);
    const attr = await answered(rig, P9.Tgetattr, getattr, (tag) => rgetattr(tag, { mtime: [1_700_000_000, 999_999_999], nlink: 3, blocks: 8 }));
    expect(attr).toEqual({
      valid: 0x7ff,
      qid: { ...FILE_QID, path: 2n },
      mode: 0o100644,
      uid: 1000,
      gid: 100,
      nlink: 3,
      size: 10,
      blocks: 8,
      atimeMs: 1000,
      mtimeMs: 1_700_000_000_999,
      ctimeMs: 3000,
    });
    const error = await refused(rig, P9.Tgetattr, getattr, (tag) => rgetattr(tag, { mtime: [1, 1_000_000_000] }));
    expect(error).toBeInstanceOf(NineProtocolError);
    expect(error.message).toMatch(/mtime_nsec 1000000000 is not below one second/);
    assertNoViolations(rig.machine.violations);
  });

  it("decodes every Rstatfs field", async () => {
    const rig = await connected();
    expect(await rig.run(rig.client.statfs(rig.client.rootFid))).toEqual({
      type: 0x01021997,
      blockSize: 4096,
      blocks: 1000,
      blocksFree: 900,
      blocksAvailable: 900,
      files: 100,
      filesFree: 90,
      fsid: 7n,
      nameLength: 255,
    });
  });

  it("refuses a qid that is both directory and symlink, and directory entry names that are empty, hold / or NUL, or are not UTF-8", async () => {
    const rig = await connected();
    const mkdir = () => rig.client.mkdir(rig.client.rootFid, "d", 0o755, 0);
    const both = await refused(rig, P9.Tmkdir, mkdir, (tag) => new Builder().qid({ type: 0x82, version: 0, path: 5 }).done(P9.Rmkdir, tag));
    expect(both).toBeInstanceOf(NineProtocolError);
    expect(both.message).toMatch(/both directory and symlink/);
    const symlink = await answered(rig, P9.Tmkdir, mkdir, (tag) => new Builder().qid({ type: 0x02, version: 0, path: 5 }).done(P9.Rmkdir, tag));
    expect(symlink.type).toBe(0x02);
    const dir = await rig.run(rig.client.walk(rig.client.rootFid, []));
    await rig.run(rig.client.lopen(dir.fid, OpenFlag.ReadOnly));
    const listing = (name: Uint8Array) => (tag: number) => {
      const entry = new Builder().qid(DIR_QID).u64(1).u8(4).u16(name.length).raw(name).done(0, 0).subarray(P9_HEADER);
      return new Builder().u32(entry.length).raw(entry).done(P9.Rreaddir, tag);
    };
    const readdir = () => rig.client.readdir(dir.fid, 0n, 4096);
    for (const name of ["", "a/b", "a\0b"]) {
      const error = await refused(rig, P9.Treaddir, readdir, listing(new TextEncoder().encode(name)));
      expect(error).toBeInstanceOf(NineProtocolError);
      expect(error.message).toMatch(/is not a file name/);
    }
    const latin1 = await refused(rig, P9.Treaddir, readdir, listing(Uint8Array.from([0x61, 0xe9])));
    expect(latin1).toBeInstanceOf(NineProtocolError);
    expect(latin1.message).toMatch(/name is not UTF-8/);
    const [parent] = await answered(rig, P9.Treaddir, readdir, listing(new TextEncoder().encode("..")));
    expect(parent.name).toBe("..");
    // NAME_MAX bytes is a name; one more is not.
    const [longest] = await answered(rig, P9.Treaddir, readdir, listing(new TextEncoder().encode("n".repeat(255))));
    expect(longest.name).toBe("n".repeat(255));
    const longer = await refused(rig, P9.Treaddir, readdir, listing(new TextEncoder().encode("n".repeat(256))));
    expect(longer).toMatchObject({ code: "reply", detail: "name of 256 bytes exceeds 255" });
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p replies cut short", () => {
  /** The reply `full` cut to its first `keep` body bytes, with size[4] telling the truth about the cut. */
  const cut = (full: Uint8Array, keep: number) => (tag: number) => new Builder().raw(full.subarray(P9_HEADER, P9_HEADER + keep)).done(full[4], tag);

  it("refuses an Rgetattr that ends inside a field, and names the field", async () => {
    const rig = await connected();
    const full = rgetattr(0);
    const getattr = () => rig.client.getattr(rig.client.rootFid, GetattrMask.Basic);
    // valid[8] qid[13] mode uid gid nlink rdev size blksize blocks atime mtime ctime btime gen data_version
    const fields: [number, string, number][] = [
      [4, "valid", 4],
      [8, "u8", 1],
      [10, "u32", 3],
      [17, "qid.path", 4],
      [23, "u32", 2],
      [37, "nlink", 4],
      [45, "rdev", 4],
      [53, "size", 4],
      [61, "blksize", 4],
      [69, "blocks", 4],
      [77, "atime_sec", 4],
      [85, "atime_nsec", 4],
      [93, "mtime_sec", 4],
      [109, "ctime_sec", 4],
      [125, "btime_sec", 4],
      [133, "btime_nsec", 4],
      [141, "gen", 4],
      [149, "data_version", 4],
    ];
    for (const [keep, field, missing] of fields) {
      const error = await refused(rig, P9.Tgetattr, getattr, cut(full, keep));
      expect(error).toBeInstanceOf(NineProtocolError);
      expect(error).toMatchObject({ code: "reply", detail: `${field} runs ${missing} bytes past the end of the message` });
    }
    expect((await answered(rig, P9.Tgetattr, getattr, cut(full, full.length - P9_HEADER))).size).toBe(10);
    assertNoViolations(rig.machine.violations);
  });

  it("refuses an Rstatfs, an Rreaddir entry or an Rwalk that ends inside a field, and names the field", async () => {
    const rig = await connected();
    const full = new Builder().u32(1).u32(4096).u64(1).u64(2).u64(3).u64(4).u64(5).u64(6).u32(255).done(P9.Rstatfs, 0);
    const statfs = () => rig.client.statfs(rig.client.rootFid);
    const fields: [number, string][] = [
      [12, "blocks"],
      [20, "bfree"],
      [28, "bavail"],
      [36, "files"],
      [44, "ffree"],
      [52, "fsid"],
    ];
    for (const [keep, field] of fields) {
      const error = await refused(rig, P9.Tstatfs, statfs, cut(full, keep));
      expect(error).toMatchObject({ code: "reply", detail: `${field} runs 4 bytes past the end of the message` });
    }
    const dir = await rig.run(rig.client.walk(rig.client.rootFid, []));
    await rig.run(rig.client.lopen(dir.fid, OpenFlag.ReadOnly));
    // qid[13], then the entry's offset[8] cut after four bytes.
    const entry = new Builder().qid(FILE_QID).u32(1).done(0, 0).subarray(P9_HEADER);
    const readdir = await refused(rig, P9.Treaddir, () => rig.client.readdir(dir.fid, 0n, 4096), (tag) => new Builder().u32(entry.length).raw(entry).done(P9.Rreaddir, tag));
    expect(readdir).toMatchObject({ code: "reply", detail: "offset runs 4 bytes past the end of the message" });
    const walk = await refused(rig, P9.Twalk, () => rig.client.walk(rig.client.rootFid, ["a"]), (tag) => new Builder().u8(1).done(P9.Rwalk, tag));
    expect(walk).toMatchObject({ code: "reply", detail: "u16 runs 1 bytes past the end of the message" });
    await rig.quiesce();
    expect(rig.client.fidsInUse).toBe(2);
    assertNoViolations(rig.machine.violations);
  });
});
