// One request from start to end: the deadline timer it arms, the order it waits in, the listener it
// puts on the caller's signal and takes off again, what Tfsync and Tclunk send and what a refused or
// unanswered Tclunk leaves, a request answered after it was given up, and the ring sized for the slots.
import { describe, expect, it, vi } from "vitest";
import { OpenFlag } from "../../drivers/virtio/9p/constants";
import { NinePError, NineTimeoutError } from "../../drivers/virtio/9p/errors";
import type { NinePCancelSignal } from "../../drivers/virtio/9p/client";
import { ERRNO, P9 } from "../sim/ninep/protocol";
import { Builder } from "../sim/ninep/wire";
import { assertNoViolations } from "../sim/violations";
import { connected, rejection, shareRig, withheld } from "./9p-harness";


const rstatfs = (tag: number) => new Builder().u32(1).u32(4096).u64(1).u64(2).u64(3).u64(4).u64(5).u64(6).u32(255).done(P9.Rstatfs, tag);

describe("virtio-9p request deadlines", () => {
  it("arms one timer, for the request timeout, at the earliest deadline of what is in flight", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5000 } });
    const setTimer = vi.spyOn(rig.loop, "setTimeout");
    const first = await withheld(rig, P9.Tstatfs, () => rig.client.statfs(rig.client.rootFid));
    expect(setTimer.mock.calls.map((call) => call[1])).toEqual([5000]);
    // A later request has a later deadline: the timer stays.
    rig.machine.waitForInterrupt(rig.machine.monotonicNs() + 2_000_000);
    const second = await withheld(rig, P9.Tstatfs, () => rig.client.statfs(rig.client.rootFid));
    expect(setTimer).toHaveBeenCalledTimes(1);
    rig.model.answerHeld(first.tag, rstatfs(first.tag));
    expect((await rig.run(first.promise)).blockSize).toBe(4096);
    // Now the second's deadline, 2 ms later, less the time gone by.
    expect(setTimer).toHaveBeenCalledTimes(2);
    expect(setTimer.mock.calls[1][1]).toBeLessThanOrEqual(5000);
    expect(setTimer.mock.calls[1][1]).toBeGreaterThan(4990);
    rig.model.answerHeld(second.tag, rstatfs(second.tag));
    await rig.run(second.promise);
    expect(setTimer).toHaveBeenCalledTimes(2);
    assertNoViolations(rig.machine.violations);
  });

  it("arms no timer for a flushed request the device still holds", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5 } });
    // The server answers the flush but keeps the flushed request.
    rig.model.answerFlushes = false;
    const { promise } = await withheld(rig, P9.Tstatfs, () => rig.client.statfs(rig.client.rootFid));
    expect(await rejection(rig.run, promise)).toBeInstanceOf(NineTimeoutError);
    await rig.run(Promise.resolve());
    expect(rig.model.server.counts.get(P9.Tflush)).toBe(1);
    const setTimer = vi.spyOn(rig.loop, "setTimeout");
    for (let turns = 0; turns < 5; turns++) await rig.run(Promise.resolve());
    expect(setTimer).not.toHaveBeenCalled();
    // The device's source (the request is still its) keeps the loop up; no timer does.
    expect(rig.loop.refCount).toBe(1);
  });

  it("counts and flushes a timed-out request once, however many later requests time out", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5, flushTimeoutMs: 10_000 } });
    // The server answers the flushes but keeps the flushed requests.
    rig.model.answerFlushes = false;
    for (let i = 1; i <= 3; i++) {
      rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" });
      expect(await rejection(rig.run, rig.client.statfs(rig.client.rootFid))).toBeInstanceOf(NineTimeoutError);
      expect(rig.client.timeouts).toBe(i);
      expect(rig.model.server.counts.get(P9.Tflush)).toBe(i);
    }
  });

  it("clunks nothing when a request that makes no fid is answered after it was given up", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5 } });
    rig.model.answerFlushes = false;
    const { promise, tag } = await withheld(rig, P9.Tstatfs, () => rig.client.statfs(rig.client.rootFid));
    expect(await rejection(rig.run, promise)).toBeInstanceOf(NineTimeoutError);
    rig.model.answerHeld(tag, rstatfs(tag));
    expect((await rig.run(rig.client.statfs(rig.client.rootFid))).blockSize).toBe(4096);
    await rig.quiesce();
    expect(rig.model.server.counts.get(P9.Tclunk)).toBeUndefined();
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p waiting and cancelling", () => {
  it("starts requests that wait for a slot in the order they were made", async () => {
    const rig = await connected({ limits: { slots: 1 } });
    rig.model.holdCompletions = true;
    const order: string[] = [];
    const requests = ["a", "b", "c"].map((name) => rig.client.statfs(rig.client.rootFid).then(() => order.push(name)));
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(0);
    await rig.settle(requests);
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("takes its listener off the caller's signal once the request is answered or refused", async () => {
    const rig = await connected();
    rig.model.server.tree.file("/f", "data");
    const file = await rig.run(rig.client.walk(rig.client.rootFid, ["f"]));
    const listeners = new Set<() => void>();
    const signal: NinePCancelSignal = {
      aborted: false,
      addEventListener: (type, listener) => type === "abort" && listeners.add(listener),
      removeEventListener: (type, listener) => type === "abort" && listeners.delete(listener),
    };
    // Not open yet: the server refuses the read.
    expect(await rejection(rig.run, rig.client.read(file.fid, 0, new Uint8Array(4), signal))).toBeInstanceOf(NinePError);
    expect(listeners.size).toBe(0);
    await rig.run(rig.client.lopen(file.fid, OpenFlag.ReadOnly));
    expect(await rig.run(rig.client.read(file.fid, 0, new Uint8Array(4), signal))).toBe(4);
    expect(listeners.size).toBe(0);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p Tfsync and Tclunk", () => {
  it("sends Tfsync with datasync 0, or 1 when only the data must reach the disk", async () => {
    const rig = await connected();
    for (const dataOnly of [undefined, false, true]) {
      const { promise, tag, message } = await withheld(rig, P9.Tfsync, () => rig.client.fsync(rig.client.rootFid, dataOnly));
      // header[7] fid[4] datasync[4]
      expect(message.length).toBe(15);
      expect(new DataView(message.buffer).getUint32(11, true)).toBe(dataOnly === true ? 1 : 0);
      rig.model.answerHeld(tag, new Builder().done(P9.Rfsync, tag));
      await rig.run(promise);
    }
    assertNoViolations(rig.machine.violations);
  });

  it("forgets a fid whose Tclunk the server refused, and keeps one whose Tclunk had no reply", async () => {
    const rig = await connected({ limits: { requestTimeoutMs: 5 } });
    const a = await rig.run(rig.client.walk(rig.client.rootFid, []));
    rig.model.server.faults.push({ on: P9.Tclunk, kind: "lerror", errno: ERRNO.EIO });
    const refused = await rejection(rig.run, rig.client.clunk(a.fid));
    expect(refused).toBeInstanceOf(NinePError);
    expect(refused).toMatchObject({ code: "EIO" });
    expect(rig.client.fidsInUse).toBe(1);
    const b = await rig.run(rig.client.walk(rig.client.rootFid, []));
    rig.model.server.faults.push({ on: P9.Tclunk, kind: "silent" });
    expect(await rejection(rig.run, rig.client.clunk(b.fid))).toBeInstanceOf(NineTimeoutError);
    // The server may still clunk it: the number is not handed out again.
    expect(rig.client.fidsInUse).toBe(2);
  });
});

describe("virtio-9p fid 0", () => {
  it("gives fid 0 back like any other when its walk is refused for a full wait queue, finds no slot, or meets a stopped client", async () => {
    // One fid: once the root is clunked, every walk takes fid 0.
    const rig = await connected({ limits: { maxFids: 1, slots: 1, maxWaiting: 1, requestTimeoutMs: 5, flushTimeoutMs: 10_000 } });
    await rig.run(rig.client.clunk(rig.client.rootFid));
    expect(rig.client.fidsInUse).toBe(0);
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" });
    const held = rig.client.statfs(0);
    held.catch(() => undefined);
    const waiting = rig.client.statfs(0);
    waiting.catch(() => undefined);
    expect(await rejection(rig.run, rig.client.walk(0, []))).toMatchObject({ code: "busy" });
    expect(rig.client.fidsInUse).toBe(0);
    await rig.settle([held, waiting]);
    // The slot stays the device's (the flush cannot be sent): a walk waits and finds no slot.
    const starving = await connected({ limits: { maxFids: 1, slots: 1, requestTimeoutMs: 5, flushTimeoutMs: 10_000 } });
    await starving.run(starving.client.clunk(starving.client.rootFid));
    starving.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" });
    expect(await rejection(starving.run, starving.client.statfs(0))).toMatchObject({ code: "timeout" });
    expect(await rejection(starving.run, starving.client.walk(0, []))).toMatchObject({ code: "timeout" });
    expect(starving.client.fidsInUse).toBe(0);
    starving.probe.devices[0].device!.detach();
    expect(await rejection(starving.run, starving.client.walk(0, []))).toMatchObject({ code: "detached" });
    expect(starving.client.fidsInUse).toBe(0);
  });
});

describe("virtio-9p late Rattach", () => {
  it("clunks fid 0 when Tattach succeeds after it was given up", async () => {
    const rig = shareRig({ limits: { requestTimeoutMs: 5 } });
    rig.model.answerFlushes = false;
    const { promise, tag } = await withheld(rig, P9.Tattach, () => rig.client.connect("root", "", 0));
    expect(await rejection(rig.run, promise)).toBeInstanceOf(NineTimeoutError);
    // The server attached after all.
    rig.model.server.fids.set(0, { node: rig.model.server.tree.root, open: undefined });
    rig.model.answerHeld(tag, new Builder().qid({ type: 0x80, version: 0, path: 1 }).done(P9.Rattach, tag));
    for (let turns = 0; rig.model.server.counts.get(P9.Tclunk) === undefined && turns < 20; turns++) await rig.run(Promise.resolve());
    expect(rig.model.server.counts.get(P9.Tclunk)).toBe(1);
    expect(rig.model.server.fids.size).toBe(0);
    expect(rig.client.fidsInUse).toBe(0);
  });
});

describe("virtio-9p device", () => {
  it("sizes the ring for the slots: two descriptors each, a power of two", async () => {
    for (const [slots, size] of [
      [4, 8],
      [3, 8],
      [5, 16],
    ]) {
      const rig = await connected({ limits: { slots } });
      expect(rig.model.queue(0)?.size).toBe(size);
    }
  });

  it("detaches an idle share: named after its device, it fails nothing and takes no more requests", async () => {
    const rig = await connected();
    const device = rig.probe.devices[0].device!;
    expect(rig.ninep.name).toBe(device.name);
    expect(() => device.detach()).not.toThrow();
    expect(device.state).toBe("detached");
    expect(rig.client.failure).toMatchObject({ code: "detached" });
    expect(await rejection(rig.run, rig.client.statfs(rig.client.rootFid))).toBe(rig.client.failure);
    expect(rig.uncaught).toEqual([]);
  });
});
