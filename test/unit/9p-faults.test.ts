// A misbehaving 9P server and device: malformed replies are refused with NineProtocolError (the
// client goes on), a request without a reply is flushed and fails with NineTimeoutError, a device
// that stops answering is failed, and a malformed mount tag is refused.
import { describe, expect, it } from "vitest";
import { GetattrMask, OpenFlag } from "../../drivers/virtio/9p/constants";
import { NineProtocolError, NineTimeoutError } from "../../drivers/virtio/9p/errors";
import { assertNoViolations } from "../sim/violations";
import type { ReplyFault } from "../sim/ninep/server";
import { P9 } from "../sim/ninep/protocol";
import { rejection, shareRig } from "./9p-harness";

async function connected(options: Parameters<typeof shareRig>[0] = {}) {
  const rig = shareRig(options);
  await rig.run(rig.client.connect("root", "", 0));
  return rig;
}

describe("virtio-9p replies that break the protocol", () => {
  const cases: [ReplyFault, number, RegExp][] = [
    ["wrong-tag", P9.Tgetattr, /reply tag/],
    ["short-size", P9.Tgetattr, /past the end/],
    ["long-size", P9.Tgetattr, /used length/],
    ["wrong-type", P9.Tgetattr, new RegExp(`reply type \\d+, expected ${P9.Rgetattr}$`)],
    ["trailing", P9.Tgetattr, /after the last field/],
    ["oversized-string", P9.Treaddir, /name of 65535 bytes/],
    ["oversized-count", P9.Tread, /data runs 1 bytes past the end/],
    ["bad-qid", P9.Tmkdir, /auth/],
  ];
  for (const [kind, on, message] of cases) {
    it(`refuses ${kind} and goes on`, async () => {
      const rig = await connected();
      const { client, model } = rig;
      model.server.tree.file("/f", "data");
      const file = await rig.run(client.walk(client.rootFid, ["f"]));
      await rig.run(client.lopen(file.fid, OpenFlag.ReadOnly));
      const dir = await rig.run(client.walk(client.rootFid, []));
      await rig.run(client.lopen(dir.fid, OpenFlag.ReadOnly));
      model.server.faults.push({ on, kind });
      const request =
        on === P9.Tread ? client.read(file.fid, 0, new Uint8Array(16)) : on === P9.Treaddir ? client.readdir(dir.fid, 0n, 4096) : on === P9.Tmkdir ? client.mkdir(client.rootFid, "d", 0o755, 0) : client.getattr(file.fid, GetattrMask.Basic);
      const error = await rejection(rig.run, request);
      expect(error).toBeInstanceOf(NineProtocolError);
      expect(error.message).toMatch(message);
      // The same request again, answered properly.
      expect((await rig.run(client.getattr(file.fid, GetattrMask.Basic))).size).toBe(4);
      assertNoViolations(rig.machine.violations);
    });
  }

  it("refuses a server that does not speak 9P2000.L, or answers a larger msize", async () => {
    const rig = shareRig();
    rig.model.server.version = "9P2000";
    expect(await rejection(rig.run, rig.client.connect("root", "", 0))).toMatchObject({ code: "version", detail: 'server speaks "9P2000", not 9P2000.L' });
    const other = shareRig();
    other.model.server.faults.push({ on: P9.Tversion, kind: "oversized-string" });
    const long = await rejection(other.run, other.client.connect("root", "", 0));
    expect(long).toBeInstanceOf(NineProtocolError);
    expect(long).toMatchObject({ code: "reply", detail: "version of 65535 bytes exceeds 24" });
  });

  it("clunks the fid a walk may have made when its reply was malformed", async () => {
    const rig = await connected();
    rig.model.server.tree.file("/f", "x");
    rig.model.server.faults.push({ on: P9.Twalk, kind: "trailing" });
    await rejection(rig.run, rig.client.walk(rig.client.rootFid, ["f"]));
    await rig.run(rig.client.statfs(rig.client.rootFid));
    expect(rig.model.server.fids.size).toBe(1);
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p requests without a reply", () => {
  it("flushes a request past its deadline, fails it with NineTimeoutError and reuses its tag only once the device gave the buffer back", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5 } });
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" });
    const error = await rejection(rig.run, rig.client.statfs(rig.client.rootFid));
    expect(error).toBeInstanceOf(NineTimeoutError);
    expect((error as NineTimeoutError).code).toBe("timeout");
    await rig.run(Promise.resolve());
    expect(rig.uncaught).toEqual([]);
    expect(rig.model.server.counts.get(P9.Tflush)).toBe(1);
    expect(rig.model.server.flushes).toBe(1);
    expect(rig.model.held.size).toBe(0);
    expect(rig.client.timeouts).toBe(1);
    // The share goes on.
    expect((await rig.run(rig.client.statfs(rig.client.rootFid))).blockSize).toBe(4096);
    assertNoViolations(rig.machine.violations);
  });

  it("does not reuse a flushed request's tag before its Rflush, even once the request came back", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5, flushTimeoutMs: 1000, slots: 2 } });
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" }, { on: P9.Tflush, kind: "silent" });
    await rejection(rig.run, rig.client.statfs(rig.client.rootFid));
    const [oldTag, flushTag] = [...rig.model.held.keys()];
    expect(rig.model.server.flushesHeld.get(flushTag)).toBe(oldTag);
    // The flushed request comes back; its flush is still unanswered.
    rig.model.answerHeld(oldTag, rig.model.server.lerror(0, oldTag, 4));
    const next = rig.client.statfs(rig.client.rootFid);
    await rig.run(Promise.resolve());
    expect(rig.client.requestsInFlight).toBe(1);
    rig.model.answerHeld(flushTag, Uint8Array.from([7, 0, 0, 0, P9.Rflush, flushTag & 0xff, flushTag >> 8]));
    expect((await rig.run(next)).blockSize).toBe(4096);
    // Both slots are usable again.
    expect((await rig.settle([rig.client.statfs(rig.client.rootFid), rig.client.statfs(rig.client.rootFid)])).every((r) => r.status === "fulfilled")).toBe(true);
    assertNoViolations(rig.machine.violations);
  });

  it("clunks the fid of a walk that succeeds after it was given up", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5 } });
    rig.model.server.tree.file("/late", "x");
    rig.model.answerFlushes = false;
    rig.model.server.faults.push({ on: P9.Twalk, kind: "silent" });
    await rejection(rig.run, rig.client.walk(rig.client.rootFid, ["late"]));
    const [tag] = [...rig.model.held.keys()];
    // The server walked after all: a successful Rwalk arrives late, for the fid the client gave up on.
    const rwalk = new Uint8Array([22, 0, 0, 0, P9.Rwalk, tag & 0xff, tag >> 8, 1, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    rig.model.server.fids.set(1, { node: rig.model.server.tree.lookup("/late")!, open: undefined });
    rig.model.answerHeld(tag, rwalk);
    await rig.run(rig.client.statfs(rig.client.rootFid));
    expect(rig.model.server.fids.size).toBe(1);
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("gives the device up when a flush is not answered either: everything fails and the device is reset", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5, flushTimeoutMs: 5 } });
    const fid = (await rig.run(rig.client.walk(rig.client.rootFid, []))).fid;
    rig.model.faults.stalled = true;
    const pending: Promise<unknown>[] = [rig.client.getattr(fid, GetattrMask.Basic), rig.client.statfs(fid)];
    const results = await rig.settle(pending);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    const late = await rejection(rig.run, rig.client.statfs(fid));
    expect(late).toMatchObject({ code: "unresponsive", detail: "Tflush had no reply within 5 ms" });
    await rig.run(Promise.resolve());
    expect(rig.probe.devices[0].state).toBe("failed");
    expect(rig.probe.devices[0].error).toBeInstanceOf(NineTimeoutError);
  });

  it("bounds what waits for a slot", async () => {
    const rig = await connected({ limits: { slots: 2, maxWaiting: 3 } });
    rig.model.holdCompletions = true;
    const requests = Array.from({ length: 5 }, () => rig.client.statfs(rig.client.rootFid));
    const refused = await rejection(rig.run, rig.client.statfs(rig.client.rootFid));
    expect(refused).toMatchObject({ code: "busy", detail: "3 requests already wait for one of 2 slots" });
    // A refused walk gives back the fid it took.
    expect(await rejection(rig.run, rig.client.walk(rig.client.rootFid, []))).toMatchObject({ code: "busy" });
    expect(rig.client.fidsInUse).toBe(1);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(0);
    expect((await rig.settle(requests)).every((r) => r.status === "fulfilled")).toBe(true);
  });

  it("fails a request that finds no free slot by its deadline, without sending it, and a device whose slots never free", async () => {
    const rig = await connected({ limits: { slots: 1, requestTimeoutMs: 2, flushTimeoutMs: 10 } });
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" });
    // The only slot is held by the device: even its flush cannot be sent.
    await rejection(rig.run, rig.client.statfs(rig.client.rootFid));
    const starved = await rejection(rig.run, rig.client.getattr(rig.client.rootFid, GetattrMask.Basic));
    expect(starved).toMatchObject({ code: "timeout" });
    expect(starved.message).toMatch(/no free slot/);
    expect(rig.model.server.counts.get(P9.Tgetattr)).toBeUndefined();
    // A walk that never got a slot gives back the fid it took.
    expect(await rejection(rig.run, rig.client.walk(rig.client.rootFid, []))).toMatchObject({ code: "timeout" });
    expect(rig.client.fidsInUse).toBe(1);
    // Past the flush's deadline.
    rig.machine.waitForInterrupt(rig.machine.monotonicNs() + 20_000_000);
    await rig.run(Promise.resolve());
    expect(rig.client.failure).toMatchObject({ code: "unresponsive", detail: "no slot freed for Tflush within 10 ms" });
    expect(rig.client.failure).toMatchObject({ code: "unresponsive" });
    expect(rig.probe.devices[0].state).toBe("failed");
  });

  it("refuses an io larger than msize allows before anything reaches the device", async () => {
    const rig = await connected({ limits: { msize: 8192 } });
    const fid = (await rig.run(rig.client.walk(rig.client.rootFid, []))).fid;
    expect(await rejection(rig.run, rig.client.write(fid, 0, new Uint8Array(8192)))).toMatchObject({ code: "io-size" });
    expect(await rejection(rig.run, rig.client.mkdir(fid, "x".repeat(9000), 0o755, 0))).toMatchObject({ code: "message-size" });
    expect(rig.model.server.counts.get(P9.Twrite)).toBeUndefined();
    expect(rig.model.server.counts.get(P9.Tmkdir)).toBeUndefined();
  });
});

describe("virtio-9p mount tag", () => {
  it("refuses a tag_len beyond the configuration and a tag that is not UTF-8", () => {
    const long = shareRig({ models: [{ tag: "x", tagLength: 300 }] });
    expect(long.probe.devices[0].state).toBe("failed");
    expect(long.probe.devices[0].error).toMatchObject({ code: "tag_len", detail: "300 is outside 1..255" });
    const bad = shareRig({ models: [{ tag: new Uint8Array([0xff, 0xfe]) }] });
    expect(bad.probe.devices[0].error).toMatchObject({ code: "tag", detail: "the mount tag is not UTF-8" });
  });

  it("refuses limits it cannot work with", () => {
    expect(shareRig({ limits: { msize: 1024 } }).probe.devices[0].error).toMatchObject({ code: "msize", detail: "msize 1024 is outside 4096..1048576" });
    expect(shareRig({ limits: { slots: 0 } }).probe.devices[0].error).toMatchObject({ code: "slots", detail: "0 request slots" });
  });

  it("has no tag without MOUNT_TAG", () => {
    const rig = shareRig({ models: [{}] });
    expect(rig.ninep.tag).toBe("");
  });
});
