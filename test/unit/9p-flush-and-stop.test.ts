// What happens to a request after its caller stopped waiting: a flush that never found a slot is
// dropped once the flushed request comes back; a detached device fails everything with the first
// error and takes no more; and a T-message field that cannot be encoded is refused before
// anything reaches the device.
import { describe, expect, it } from "vitest";
import { OpenFlag } from "../../drivers/virtio/9p/constants";
import { createVirtio9pDriver } from "../../drivers/virtio/9p/driver";
import { NineTimeoutError, NineUsageError } from "../../drivers/virtio/9p/errors";
import { VirtioRingBrokenError } from "../../drivers/virtio/errors";
import { ERRNO, P9 } from "../sim/ninep/protocol";
import { assertNoViolations } from "../sim/violations";
import { rejection, shareRig } from "./9p-harness";

async function connected(options: Parameters<typeof shareRig>[0] = {}) {
  const rig = shareRig(options);
  await rig.run(rig.client.connect("root", "", 0));
  return rig;
}

describe("virtio-9p flushes", () => {
  it("keeps a flushed tag out of use until its own Rflush, whatever else comes back", async () => {
    const rig = await connected({ limits: { slots: 4, requestTimeoutMs: 5, flushTimeoutMs: 10_000 } });
    rig.model.answerFlushes = false;
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" }, { on: P9.Tstatfs, kind: "silent" }, { on: P9.Tflush, kind: "silent" }, { on: P9.Tflush, kind: "silent" });
    await rig.settle([rig.client.statfs(rig.client.rootFid), rig.client.statfs(rig.client.rootFid)]);
    for (let turns = 0; rig.model.held.size < 4 && turns < 100; turns++) await rig.run(Promise.resolve());
    const [a, b, flushA, flushB] = [...rig.model.held.keys()];
    expect([a, b]).toEqual([0, 1]);
    // Both flushed requests come back; neither Rflush has.
    for (const tag of [a, b]) rig.model.answerHeld(tag, rig.model.server.lerror(0, tag, ERRNO.EINTR));
    const next = rig.client.statfs(rig.client.rootFid);
    await rig.run(Promise.resolve());
    expect(rig.client.requestsInFlight).toBe(2);
    for (const tag of [flushA, flushB]) rig.model.answerHeld(tag, Uint8Array.from([7, 0, 0, 0, P9.Rflush, tag & 0xff, tag >> 8]));
    expect((await rig.run(next)).blockSize).toBe(4096);
    assertNoViolations(rig.machine.violations);
  });

  it("frees every flushed slot once the request came back and its Rflush arrived", async () => {
    const rig = await connected({ limits: { slots: 4, requestTimeoutMs: 5 } });
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" }, { on: P9.Tstatfs, kind: "silent" });
    const results = await rig.settle([rig.client.statfs(rig.client.rootFid), rig.client.statfs(rig.client.rootFid)]);
    expect(results.map((r) => (r as PromiseRejectedResult).reason?.code)).toEqual(["timeout", "timeout"]);
    await rig.quiesce();
    expect(rig.model.server.counts.get(P9.Tflush)).toBe(2);
    // Slots 0 and 1 (the flushed ones) are as free as 2 and 3.
    rig.model.holdCompletions = true;
    const requests = Array.from({ length: 4 }, () => rig.client.statfs(rig.client.rootFid));
    expect(rig.client.requestsInFlight).toBe(4);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(0);
    expect((await rig.settle(requests)).every((r) => r.status === "fulfilled")).toBe(true);
    assertNoViolations(rig.machine.violations);
  });

  it("drops a flush still waiting for a slot when the request it flushes comes back, and goes on", async () => {
    const rig = await connected({ limits: { slots: 1, requestTimeoutMs: 5, flushTimeoutMs: 50 } });
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" });
    const timedOut = await rejection(rig.run, rig.client.statfs(rig.client.rootFid));
    expect(timedOut).toBeInstanceOf(NineTimeoutError);
    // The diagnostic names the request, its tag and the deadline.
    expect(timedOut.message).toMatch(/Tstatfs \(tag 0\) had no reply within 5 ms; flushed/);
    // The only slot is still the device's: the flush waits for it.
    const [tag] = [...rig.model.held.keys()];
    expect(rig.model.server.counts.get(P9.Tflush)).toBeUndefined();
    rig.model.answerHeld(tag, rig.model.server.lerror(0, tag, ERRNO.EINTR));
    expect((await rig.run(rig.client.statfs(rig.client.rootFid))).blockSize).toBe(4096);
    // Well past the flush's deadline: it was dropped, not left to fail the device.
    rig.machine.waitForInterrupt(rig.machine.monotonicNs() + 100_000_000);
    await rig.run(Promise.resolve());
    expect(rig.client.failure).toBeUndefined();
    expect(rig.model.server.counts.get(P9.Tflush)).toBeUndefined();
    expect((await rig.run(rig.client.statfs(rig.client.rootFid))).blockSize).toBe(4096);
    expect(rig.probe.devices[0].state).toBe("ready");
    assertNoViolations(rig.machine.violations);
  });
  it("leaves a request waiting for a slot alone when a flushed request comes back before its Rflush", async () => {
    const rig = await connected({ limits: { slots: 2, requestTimeoutMs: 5, flushTimeoutMs: 1000 } });
    rig.model.answerFlushes = false;
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" }, { on: P9.Tflush, kind: "silent" });
    await rejection(rig.run, rig.client.statfs(rig.client.rootFid));
    const [oldTag, flushTag] = [...rig.model.held.keys()];
    // Both slots are the device's: this one waits.
    const waiting = rig.client.statfs(rig.client.rootFid);
    rig.model.answerHeld(oldTag, rig.model.server.lerror(0, oldTag, ERRNO.EINTR));
    await rig.run(Promise.resolve());
    expect(rig.client.requestsInFlight).toBe(1);
    rig.model.answerHeld(flushTag, Uint8Array.from([7, 0, 0, 0, P9.Rflush, flushTag & 0xff, flushTag >> 8]));
    expect((await rig.run(waiting)).blockSize).toBe(4096);
    assertNoViolations(rig.machine.violations);
  });
  it("queues a flush even when as many requests wait as allowed, and frees the slot once the flushed request comes back", async () => {
    const rig = await connected({ limits: { slots: 1, maxWaiting: 1, requestTimeoutMs: 5, flushTimeoutMs: 1000 } });
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "silent" });
    const results = await rig.settle([rig.client.statfs(rig.client.rootFid), rig.client.statfs(rig.client.rootFid)]);
    expect(results.map((r) => (r as PromiseRejectedResult).reason?.code)).toEqual(["timeout", "timeout"]);
    expect(rig.client.timeouts).toBe(2);
    const [tag] = [...rig.model.held.keys()];
    rig.model.answerHeld(tag, rig.model.server.lerror(0, tag, ERRNO.EINTR));
    await rig.run(Promise.resolve());
    expect((await rig.run(rig.client.statfs(rig.client.rootFid))).blockSize).toBe(4096);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-9p stop", () => {
  it("fails what is in flight and what waits when the device is detached, keeps the first error and takes no more requests", async () => {
    const rig = await connected({ limits: { slots: 1 } });
    rig.model.holdCompletions = true;
    const inFlight = rig.client.statfs(rig.client.rootFid);
    const waiting = rig.client.statfs(rig.client.rootFid);
    // Through the device and the driver's registry entry, as the kernel detaches it.
    expect(createVirtio9pDriver({ loop: rig.loop }).name).toBe("virtio-9p");
    rig.probe.devices[0].device?.detach();
    expect(rig.probe.devices[0].device?.state).toBe("detached");
    const results = await rig.settle([inFlight, waiting]);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: "detached", detail: "the 9p device was detached" });
    }
    const first = rig.client.failure;
    rig.client.stop(new Error("later"));
    expect(rig.client.failure).toBe(first);
    expect(await rejection(rig.run, rig.client.walk(rig.client.rootFid, []))).toBe(first);
    expect(rig.client.requestsInFlight).toBe(0);
    expect(rig.client.fidsInUse).toBe(1);
    expect(rig.loop.refCount).toBe(0);
  });
});

describe("virtio-9p broken ring", () => {
  it("fails the device after a broken ring only if the share is still its driver's, ready: not once it was detached or recovered", async () => {
    const detached = await connected();
    const device = detached.probe.devices[0].device!;
    detached.ninep.ringBroken(new VirtioRingBrokenError(device.name, "used-id", "test"));
    device.detach();
    await detached.run(Promise.resolve());
    expect(device.state).toBe("detached");
    const recovered = await connected();
    const again = recovered.probe.devices[0].device!;
    const old = recovered.ninep;
    old.ringBroken(new VirtioRingBrokenError(again.name, "used-id", "test"));
    expect(again.recover()).toBe(true);
    await recovered.run(Promise.resolve());
    expect(again.state).toBe("ready");
    const share = again.instance as typeof old;
    expect(share).not.toBe(old);
    await recovered.run(share.client.connect("root", "", 0));
    expect((await recovered.run(share.client.statfs(share.client.rootFid))).blockSize).toBe(4096);
    expect(recovered.uncaught).toEqual([]);
  });

  it("fails the request with the ring's error when the device reports a used buffer beyond the ring, then fails the device", async () => {
    const rig = await connected();
    rig.model.faults.usedId = "out-of-range";
    const error = await rejection(rig.run, rig.client.statfs(rig.client.rootFid));
    expect(error).toBeInstanceOf(VirtioRingBrokenError);
    expect(rig.client.failure).toBe(error);
    expect(await rejection(rig.run, rig.client.statfs(rig.client.rootFid))).toBe(error);
    await rig.run(Promise.resolve());
    expect(rig.probe.devices[0].state).toBe("failed");
    expect(rig.uncaught).toEqual([]);
    expect(rig.loop.refCount).toBe(0);
  });
});

describe("virtio-9p T-message fields", () => {
  it("refuses an offset that is negative or beyond 2^53 and a name longer than a string can say, sending nothing", async () => {
    const rig = await connected();
    rig.model.server.tree.file("/f", "data");
    const file = await rig.run(rig.client.walk(rig.client.rootFid, ["f"]));
    await rig.run(rig.client.lopen(file.fid, OpenFlag.ReadOnly));
    for (const offset of [-1, 2 ** 53, 0.5]) {
      const error = await rejection(rig.run, rig.client.read(file.fid, offset, new Uint8Array(4)));
      expect(error).toBeInstanceOf(NineUsageError);
      expect(error).toMatchObject({ code: "u64", detail: `${offset} is not a non-negative safe integer` });
    }
    expect(await rig.run(rig.client.read(file.fid, Number.MAX_SAFE_INTEGER, new Uint8Array(4)))).toBe(0);
    expect(rig.model.server.counts.get(P9.Tread)).toBe(1);
    const long = await rejection(rig.run, rig.client.mkdir(rig.client.rootFid, "x".repeat(70_000), 0o755, 0));
    expect(long).toMatchObject({ code: "message-size" });
    expect(rig.model.server.counts.get(P9.Tmkdir)).toBeUndefined();
    expect(rig.client.requestsInFlight).toBe(0);
    assertNoViolations(rig.machine.violations);
  });

  it("bounds a read, write or readdir by the io unit of the negotiated msize, and a message by that msize", async () => {
    const rig = shareRig();
    rig.model.server.maxMsize = 8192;
    await rig.run(rig.client.connect("root", "", 0));
    const dir = await rig.run(rig.client.walk(rig.client.rootFid, []));
    await rig.run(rig.client.lcreate(dir.fid, "f", OpenFlag.ReadWrite, 0o644, 0));
    const unit = rig.client.ioUnit;
    expect(await rig.run(rig.client.write(dir.fid, 0, new Uint8Array(unit)))).toBe(unit);
    expect(await rig.run(rig.client.read(dir.fid, 0, new Uint8Array(unit)))).toBe(unit);
    for (const request of [() => rig.client.write(dir.fid, 0, new Uint8Array(unit + 1)), () => rig.client.readdir(dir.fid, 0n, -1), () => rig.client.readdir(dir.fid, 0n, 1.5)]) {
      expect(await rejection(rig.run, request())).toMatchObject({ code: "io-size" });
    }
    expect(await rejection(rig.run, rig.client.read(dir.fid, 0, new Uint8Array(unit + 1)))).toMatchObject({ detail: `${unit + 1} bytes is outside 0..${unit} (msize 8192)` });
    // An empty read is a read.
    expect(await rig.run(rig.client.read(dir.fid, 0, new Uint8Array(0)))).toBe(0);
    // The request buffers hold the proposed 128 KiB; the message may not exceed the 8192 agreed.
    const long = await rejection(rig.run, rig.client.mkdir(rig.client.rootFid, "x".repeat(9000), 0o755, 0));
    expect(long).toBeInstanceOf(NineUsageError);
    expect(long).toMatchObject({ code: "message-size", detail: "Tmkdir of 9021 bytes exceeds msize 8192" });
    expect(rig.model.server.counts.get(P9.Tmkdir)).toBeUndefined();
    expect(rig.model.server.counts.get(P9.Treaddir)).toBeUndefined();
    assertNoViolations(rig.machine.violations);
  });

  it("fills a request buffer to its last byte, refuses one byte more, and never cuts a string short", async () => {
    const rig = await connected({ limits: { msize: 8192 } });
    expect(rig.client.msize).toBe(8192);
    // Tmkdir: header[7] dfid[4] name[2+n] mode[4] gid[4] is 8192 bytes for a name of 8171.
    const exact = await rejection(rig.run, rig.client.mkdir(rig.client.rootFid, "x".repeat(8171), 0o755, 0));
    expect(exact).not.toBeInstanceOf(NineUsageError);
    expect(rig.model.server.counts.get(P9.Tmkdir)).toBe(1);
    const over = await rejection(rig.run, rig.client.mkdir(rig.client.rootFid, "x".repeat(8172), 0o755, 0));
    expect(over).toBeInstanceOf(NineUsageError);
    expect(over).toMatchObject({ code: "message-size", detail: "message needs 8193 bytes, msize allows 8192" });
    // A walk's last name that does not fit is refused, not sent cut; the fid it would have made is free again.
    const walk = await rejection(rig.run, rig.client.walk(rig.client.rootFid, ["y".repeat(9000)]));
    expect(walk).toBeInstanceOf(NineUsageError);
    expect(walk).toMatchObject({ code: "message-size", detail: "a string of 9000 characters does not fit the message" });
    expect(rig.model.server.counts.get(P9.Tmkdir)).toBe(1);
    expect(rig.model.server.counts.get(P9.Twalk)).toBeUndefined();
    expect(rig.client.fidsInUse).toBe(1);
    expect(rig.client.requestsInFlight).toBe(0);
    assertNoViolations(rig.machine.violations);
  });

  it("sends a string of 65535 bytes, the most its length can say", async () => {
    const rig = await connected();
    const longest = await rejection(rig.run, rig.client.mkdir(rig.client.rootFid, "x".repeat(0xffff), 0o755, 0));
    expect(longest).not.toBeInstanceOf(NineUsageError);
    expect(rig.model.server.counts.get(P9.Tmkdir)).toBe(1);
    const longer = await rejection(rig.run, rig.client.mkdir(rig.client.rootFid, "x".repeat(0x10000), 0o755, 0));
    expect(longer).toMatchObject({ code: "message-size", detail: "a string of 65536 characters does not fit the message" });
    expect(rig.model.server.counts.get(P9.Tmkdir)).toBe(1);
  });

  it("sends an offset above 4 GiB in all 64 bits, little-endian", async () => {
    const rig = await connected();
    rig.model.server.tree.file("/f", "data");
    const file = await rig.run(rig.client.walk(rig.client.rootFid, ["f"]));
    await rig.run(rig.client.lopen(file.fid, OpenFlag.ReadOnly));
    const offset = 0x1234_5678_9abc;
    rig.model.server.faults.push({ on: P9.Tread, kind: "silent" });
    const read = rig.client.read(file.fid, offset, new Uint8Array(4));
    for (let turns = 0; rig.model.held.size === 0 && turns < 100; turns++) await rig.run(Promise.resolve());
    const [[tag, request]] = [...rig.model.held];
    const message = request.read();
    // header[7] fid[4] offset[8] count[4]
    expect(new DataView(message.buffer).getBigUint64(11, true)).toBe(BigInt(offset));
    rig.model.answerHeld(tag, Uint8Array.from([11, 0, 0, 0, P9.Rread, tag & 0xff, tag >> 8, 0, 0, 0, 0]));
    expect(await rig.run(read)).toBe(0);
    assertNoViolations(rig.machine.violations);
  });
});
