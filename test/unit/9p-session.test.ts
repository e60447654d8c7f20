// The 9P2000.L session around the requests: Tversion's msize bounds, an attach root that must be a
// directory, connect once, fids bounded and never leaked by a walk that fails part way, request
// slots bounded by the ring, the driver's limits and mount tag checked, Tsetattr's fields, and
// a caller giving up before its request is sent.
import { describe, expect, it } from "vitest";
import { NOFID } from "../../drivers/virtio/9p/constants";
import { NineCancelledError, NinePError, NineProtocolError, NineUsageError } from "../../drivers/virtio/9p/errors";
import { MAX_MSIZE, MIN_MSIZE } from "../../drivers/virtio/9p/limits";
import { ERRNO, P9, P9_NOTAG } from "../sim/ninep/protocol";
import { Builder } from "../sim/ninep/wire";
import { assertNoViolations } from "../sim/violations";
import { connected, rejection, shareRig, withheld } from "./9p-harness";


describe("virtio-9p Tversion and Tattach", () => {
  it("refuses an Rversion msize below the minimum or above the one proposed, and takes the minimum", async () => {
    for (const msize of [MIN_MSIZE - 1, 128 * 1024 + 1]) {
      const rig = shareRig();
      expect(rig.client.msize).toBe(128 * 1024);
      const { promise, tag } = await withheld(rig, P9.Tversion, () => rig.client.connect("root", "", 0));
      expect(tag).toBe(P9_NOTAG);
      rig.model.answerHeld(tag, new Builder().u32(msize).str("9P2000.L").done(P9.Rversion, tag));
      const error = await rejection(rig.run, promise);
      expect(error).toBeInstanceOf(NineProtocolError);
      expect(error).toMatchObject({ code: "msize", detail: `server msize ${msize} is outside ${MIN_MSIZE}..${128 * 1024}` });
    }
    const rig = shareRig();
    rig.model.server.maxMsize = MIN_MSIZE;
    await rig.run(rig.client.connect("root", "", 0));
    expect(rig.client.msize).toBe(MIN_MSIZE);
    assertNoViolations(rig.machine.violations);
  });

  it("connects once: a second connect is refused", async () => {
    const rig = await connected();
    const again = await rejection(rig.run, rig.client.connect("root", "", 0));
    expect(again).toBeInstanceOf(NineUsageError);
    expect(again).toMatchObject({ code: "connect" });
    expect(rig.model.server.counts.get(P9.Tversion)).toBe(1);
  });

  it("refuses a connect while the first one is still under way", async () => {
    const rig = shareRig();
    const first = rig.client.connect("root", "", 0);
    const second = await rejection(rig.run, rig.client.connect("root", "", 0));
    expect(second).toBeInstanceOf(NineUsageError);
    expect(second).toMatchObject({ code: "connect", detail: "connect must come first, once" });
    expect((await rig.run(first)).type).toBe(0x80);
    expect(rig.model.server.counts.get(P9.Tversion)).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("gives the root's fid back when Tattach is refused or cannot be sent", async () => {
    const rig = shareRig();
    rig.model.server.faults.push({ on: P9.Tattach, kind: "lerror", errno: ERRNO.EACCES });
    const refused = await rejection(rig.run, rig.client.connect("root", "", 0));
    expect(refused).toBeInstanceOf(NinePError);
    expect(refused).toMatchObject({ code: "EACCES" });
    expect(rig.client.fidsInUse).toBe(0);
    expect(rig.client.rootFid).toBe(NOFID);
    const other = shareRig();
    const unsent = await rejection(other.run, other.client.connect("u".repeat(200_000), "", 0));
    expect(unsent).toMatchObject({ code: "message-size" });
    expect(other.client.fidsInUse).toBe(0);
    expect(other.model.server.counts.get(P9.Tattach)).toBeUndefined();
    assertNoViolations(rig.machine.violations);
  });

  it("refuses a root that is not a directory and clunks its fid", async () => {
    const rig = shareRig();
    rig.model.server.tree.file("/f", "x");
    const { promise, tag } = await withheld(rig, P9.Tattach, () => rig.client.connect("root", "", 0));
    // The server attached fid 0 to a file.
    rig.model.server.fids.set(0, { node: rig.model.server.tree.lookup("/f")!, open: undefined });
    rig.model.answerHeld(tag, new Builder().qid({ type: 0, version: 0, path: 9 }).done(P9.Rattach, tag));
    const error = await rejection(rig.run, promise);
    expect(error).toBeInstanceOf(NineProtocolError);
    expect(error).toMatchObject({ code: "attach", detail: "the share's root is not a directory" });
    expect(rig.model.server.counts.get(P9.Tclunk)).toBe(1);
    expect(rig.model.server.fids.size).toBe(0);
    expect(rig.client.fidsInUse).toBe(0);
    expect(rig.client.rootFid).toBe(NOFID);
    assertNoViolations(rig.machine.violations);
  });

  it("reports a root that is not a directory as such even when the server also refuses the clunk", async () => {
    const rig = shareRig();
    rig.model.server.tree.file("/f", "x");
    const { promise, tag } = await withheld(rig, P9.Tattach, () => rig.client.connect("root", "", 0));
    // The server answers for a fid it never recorded, so the Tclunk that follows gets an Rlerror.
    rig.model.answerHeld(tag, new Builder().qid({ type: 0, version: 0, path: 9 }).done(P9.Rattach, tag));
    const error = await rejection(rig.run, promise);
    expect(rig.model.server.counts.get(P9.Tclunk)).toBe(1);
    expect(error).toBeInstanceOf(NineProtocolError);
    expect(error).toMatchObject({ code: "attach" });
    expect(rig.client.rootFid).toBe(NOFID);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p fids", () => {
  it("clunks the new fid when a later Twalk of a long walk is refused, and leaves the other fids alone", async () => {
    const rig = await connected();
    const clone = await rig.run(rig.client.walk(rig.client.rootFid, []));
    const names = Array.from({ length: 16 }, (_, i) => `d${i}`);
    rig.model.server.tree.file(`/${names.join("/")}/leaf`, "x");
    const error = await rejection(rig.run, rig.client.walk(rig.client.rootFid, [...names, "none"]));
    expect(error).toMatchObject({ code: "ENOENT" });
    expect(error.message).toMatch(/Twalk refused/);
    expect(rig.model.server.counts.get(P9.Twalk)).toBe(3);
    await rig.quiesce();
    expect(rig.model.server.counts.get(P9.Tclunk)).toBe(1);
    expect(rig.model.server.fids.size).toBe(2);
    expect(rig.client.fidsInUse).toBe(2);
    await rig.run(rig.client.clunk(clone.fid));
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("clunks nothing after a first Twalk that fails or stops short, and clunks the new fid after a later one that stops short", async () => {
    const rig = await connected();
    rig.model.server.tree.file("/a/b", "x");
    const refused = await rejection(rig.run, rig.client.walk(rig.client.rootFid, ["none"]));
    expect(refused).toMatchObject({ code: "ENOENT" });
    const short = await rejection(rig.run, rig.client.walk(rig.client.rootFid, ["a", "none"]));
    expect(short).toMatchObject({ code: "ENOENT", errno: 2, detail: 'walk: "none" is not there' });
    await rig.quiesce();
    expect(rig.model.server.counts.get(P9.Tclunk)).toBeUndefined();
    expect(rig.client.fidsInUse).toBe(1);
    const names = Array.from({ length: 16 }, (_, i) => `d${i}`);
    rig.model.server.tree.file(`/${names.join("/")}/e/leaf`, "x");
    const later = await rejection(rig.run, rig.client.walk(rig.client.rootFid, [...names, "e", "none"]));
    expect(later).toMatchObject({ code: "ENOENT", detail: 'walk: "none" is not there' });
    await rig.quiesce();
    expect(rig.model.server.counts.get(P9.Tclunk)).toBe(1);
    expect(rig.model.server.fids.size).toBe(1);
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("hands out the next free fid after the last one, not one just clunked", async () => {
    const rig = await connected({ limits: { maxFids: 4 } });
    const a = await rig.run(rig.client.walk(rig.client.rootFid, []));
    const b = await rig.run(rig.client.walk(rig.client.rootFid, []));
    expect([rig.client.rootFid, a.fid, b.fid]).toEqual([0, 1, 2]);
    await rig.run(rig.client.clunk(a.fid));
    expect((await rig.run(rig.client.walk(rig.client.rootFid, []))).fid).toBe(3);
    // Then it wraps around to the free one.
    expect((await rig.run(rig.client.walk(rig.client.rootFid, []))).fid).toBe(1);
    const full = await rejection(rig.run, rig.client.walk(rig.client.rootFid, []));
    expect(full).toMatchObject({ code: "fids", detail: "all 4 fids are in use" });
    assertNoViolations(rig.machine.violations);
  });

  it("refuses to clunk a fid it never handed out, and keeps its count", async () => {
    const rig = await connected({ limits: { maxFids: 4 } });
    for (const fid of [-1, 2, 4]) {
      const error = await rejection(rig.run, rig.client.clunk(fid));
      expect(error).toBeInstanceOf(NineUsageError);
      expect(error).toMatchObject({ code: "fids", detail: `fid ${fid} is not in use` });
      expect(rig.client.fidsInUse).toBe(1);
    }
  });

  it("bounds the fids in use, and hands a clunked one out again", async () => {
    const rig = await connected({ limits: { maxFids: 3 } });
    const a = await rig.run(rig.client.walk(rig.client.rootFid, []));
    await rig.run(rig.client.walk(rig.client.rootFid, []));
    const full = await rejection(rig.run, rig.client.walk(rig.client.rootFid, []));
    expect(full).toBeInstanceOf(NineUsageError);
    expect(full).toMatchObject({ code: "fids" });
    expect(rig.model.server.counts.get(P9.Twalk)).toBe(2);
    await rig.run(rig.client.clunk(a.fid));
    const again = await rig.run(rig.client.walk(rig.client.rootFid, []));
    expect(again.fid).toBe(a.fid);
    expect(rig.client.fidsInUse).toBe(3);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p requests", () => {
  it("keeps no more requests in flight than the ring holds chains for", async () => {
    const rig = await connected({ models: [{ tag: "host", queueSize: 8 }], limits: { slots: 16 } });
    rig.model.holdCompletions = true;
    const requests = Array.from({ length: 6 }, () => rig.client.statfs(rig.client.rootFid));
    expect(rig.client.requestsInFlight).toBe(4);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(0);
    expect((await rig.settle(requests)).every((r) => r.status === "fulfilled")).toBe(true);
    assertNoViolations(rig.machine.violations);
  });

  it("sends Tsetattr with the mode and the modification time split into seconds and nanoseconds, and nothing else", async () => {
    const rig = await connected();
    const node = rig.model.server.tree.file("/f", "abc");
    const file = await rig.run(rig.client.walk(rig.client.rootFid, ["f"]));
    const mtimeBefore = node.mtimeMs;
    await rig.run(rig.client.setattr(file.fid, { mode: 0o600 }));
    expect([node.mode & 0o7777, node.mtimeMs, node.data.length]).toEqual([0o600, mtimeBefore, 3]);
    await rig.run(rig.client.setattr(file.fid, { mtimeMs: 1_234_567 }));
    expect([node.mode & 0o7777, node.mtimeMs]).toEqual([0o600, 1_234_567]);
    expect((await rig.run(rig.client.getattr(file.fid, 0x7ff))).mtimeMs).toBe(1_234_567);
    assertNoViolations(rig.machine.violations);
  });

  it("fails a request whose caller gave up before it was sent, or while it waited for a slot, without sending it", async () => {
    const rig = await connected({ limits: { slots: 1 } });
    const fid = (await rig.run(rig.client.walk(rig.client.rootFid, []))).fid;
    const aborted = new AbortController();
    aborted.abort();
    const early = await rejection(rig.run, rig.client.read(fid, 0, new Uint8Array(4), aborted.signal));
    expect(early).toBeInstanceOf(NineCancelledError);
    expect(early).toMatchObject({ code: "cancelled" });
    expect(early.message).toMatch(/Tread was cancelled/);
    rig.model.holdCompletions = true;
    const first = rig.client.statfs(rig.client.rootFid);
    const controller = new AbortController();
    const waiting = rig.client.read(fid, 0, new Uint8Array(4), controller.signal);
    expect(rig.client.requestsInFlight).toBe(1);
    controller.abort();
    const late = await rejection((p) => p, waiting);
    expect(late).toBeInstanceOf(NineCancelledError);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(0);
    expect((await rig.run(first)).blockSize).toBe(4096);
    expect(rig.model.server.counts.get(P9.Tread)).toBeUndefined();
    expect(rig.model.server.counts.get(P9.Tflush)).toBeUndefined();
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p limits and mount tag", () => {
  it("refuses an msize beyond the maximum or not an integer, and a slot count that is not an integer", () => {
    expect(shareRig({ limits: { msize: MAX_MSIZE + 1 } }).probe.devices[0].error).toMatchObject({ code: "msize" });
    expect(shareRig({ limits: { msize: 8192.5 } }).probe.devices[0].error).toMatchObject({ code: "msize" });
    expect(shareRig({ limits: { slots: 1.5 } }).probe.devices[0].error).toMatchObject({ code: "slots" });
    expect(shareRig({ limits: { msize: MAX_MSIZE, slots: 1 } }).probe.devices[0].state).toBe("ready");
    expect(shareRig({ limits: { msize: MIN_MSIZE, slots: 1 } }).probe.devices[0].state).toBe("ready");
  });

  it("refuses a tag_len of 0 and a tag holding a NUL, and takes a tag of 255 bytes", () => {
    expect(shareRig({ models: [{ tag: "x", tagLength: 0 }] }).probe.devices[0].error).toMatchObject({ code: "tag_len" });
    expect(shareRig({ models: [{ tag: "a\0b" }] }).probe.devices[0].error).toMatchObject({ code: "tag", detail: 'mount tag "a\\u0000b" holds a NUL' });
    const longest = "t".repeat(255);
    expect(shareRig({ models: [{ tag: longest }] }).ninep.tag).toBe(longest);
    expect(shareRig({ models: [{ tag: "t".repeat(255), tagLength: 256 }] }).probe.devices[0].error).toMatchObject({ code: "tag_len" });
  });
});
