// The 9P2000.L client against the server model: version and attach, every operation, tags in
// flight, walks longer than 16 names, and Rlerror as typed errors carrying the errno name.
import { describe, expect, it } from "vitest";
import { GetattrMask, OpenFlag, UNLINK_REMOVE_DIR } from "../../drivers/virtio/9p/constants";
import { NinePError } from "../../drivers/virtio/9p/errors";
import { assertNoViolations } from "../sim/violations";
import { P9 } from "../sim/ninep/protocol";
import { rejection, shareRig, utf8 } from "./9p-harness";

async function connected(options: Parameters<typeof shareRig>[0] = {}) {
  const rig = shareRig(options);
  await rig.run(rig.client.connect("root", "", 0));
  return rig;
}

describe("virtio-9p client", () => {
  it("reads the mount tag, negotiates msize down to the server's and attaches the root", async () => {
    const rig = shareRig({ models: [{ tag: "www" }] });
    rig.model.server.maxMsize = 8192;
    expect(rig.ninep.tag).toBe("www");
    const qid = await rig.run(rig.client.connect("root", "", 0));
    expect(qid.type & 0x80).toBe(0x80);
    expect(rig.client.msize).toBe(8192);
    expect(rig.client.ioUnit).toBe(8192 - 24);
    expect(rig.model.server.counts.get(P9.Tversion)).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("creates, writes, reads, stats, renames and removes a file", async () => {
    const rig = await connected();
    const { client } = rig;
    const dir = await rig.run(client.walk(client.rootFid, []));
    await rig.run(client.lcreate(dir.fid, "a.txt", OpenFlag.ReadWrite, 0o644, 0));
    expect(await rig.run(client.write(dir.fid, 0, utf8("hello 9p")))).toBe(8);
    const target = new Uint8Array(64);
    const n = await rig.run(client.read(dir.fid, 6, target));
    expect(new TextDecoder().decode(target.subarray(0, n))).toBe("9p");
    const attr = await rig.run(client.getattr(dir.fid, GetattrMask.Basic));
    expect(attr.size).toBe(8);
    await rig.run(client.setattr(dir.fid, { size: 5 }));
    expect(rig.model.server.tree.read("/a.txt")).toEqual(utf8("hello"));
    await rig.run(client.fsync(dir.fid));
    await rig.run(client.clunk(dir.fid));
    await rig.run(client.mkdir(client.rootFid, "sub", 0o755, 0));
    await rig.run(client.renameat(client.rootFid, "a.txt", (await rig.run(client.walk(client.rootFid, ["sub"]))).fid, "b.txt"));
    expect(rig.model.server.tree.read("/sub/b.txt")).toEqual(utf8("hello"));
    const statfs = await rig.run(client.statfs(client.rootFid));
    expect(statfs.blockSize).toBe(4096);
    const error = await rejection(rig.run, client.unlinkat(client.rootFid, "sub", UNLINK_REMOVE_DIR));
    expect(error).toBeInstanceOf(NinePError);
    expect((error as NinePError).code).toBe("ENOTEMPTY");
    assertNoViolations(rig.machine.violations);
  });

  it("maps Rlerror to typed errors with the errno name", async () => {
    const rig = await connected();
    const missing = await rejection(rig.run, rig.client.walk(rig.client.rootFid, ["nope"]));
    expect(missing).toMatchObject({ code: "ENOENT", errno: 2 });
    rig.model.server.tree.file("/x", "1");
    const fid = (await rig.run(rig.client.walk(rig.client.rootFid, []))).fid;
    const exists = await rejection(rig.run, rig.client.lcreate(fid, "x", OpenFlag.WriteOnly, 0o644, 0));
    expect(exists).toMatchObject({ code: "EEXIST" });
    rig.model.server.faults.push({ on: P9.Tstatfs, kind: "lerror", errno: 13 });
    expect(await rejection(rig.run, rig.client.statfs(rig.client.rootFid))).toMatchObject({ code: "EACCES" });
    // A failed walk gives its new fid back: only the root and the clone remain.
    expect(rig.client.fidsInUse).toBe(2);
    assertNoViolations(rig.machine.violations);
  });

  it("splits a walk of 40 names into Twalks of at most 16 and refuses to walk through a non-directory", async () => {
    const rig = await connected();
    const names = Array.from({ length: 40 }, (_, i) => `d${i}`);
    rig.model.server.tree.file(`/${names.join("/")}/leaf`, "deep");
    const walked = await rig.run(rig.client.walk(rig.client.rootFid, [...names, "leaf"]));
    expect(walked.qid?.type).toBe(0);
    expect(rig.model.server.counts.get(P9.Twalk)).toBe(3);
    rig.model.server.tree.symlink("/link", "/d0");
    rig.model.server.followSymlinks = true;
    const through = await rejection(rig.run, rig.client.walk(rig.client.rootFid, ["link", "d1"]));
    expect(through).toMatchObject({ code: "ENOTDIR", errno: 20, detail: 'walk: "link" is not a directory' });
    const deepMissing = await rejection(rig.run, rig.client.walk(rig.client.rootFid, [...names.slice(0, 20), "none"]));
    expect(deepMissing).toMatchObject({ code: "ENOENT" });
    await rig.run(rig.client.clunk(walked.fid));
    expect(rig.client.fidsInUse).toBe(1);
    assertNoViolations(rig.machine.violations);
  });

  it("keeps many requests in flight under distinct tags and queues the rest", async () => {
    const rig = await connected({ limits: { slots: 4 } });
    const fids = await rig.run(rig.client.walk(rig.client.rootFid, []));
    rig.model.holdCompletions = true;
    const reads = Array.from({ length: 10 }, () => rig.client.getattr(fids.fid, GetattrMask.Basic));
    expect(rig.client.requestsInFlight).toBe(4);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(0, [3, 1, 0, 2]);
    const results = await rig.settle(reads);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    assertNoViolations(rig.machine.violations);
  });

  it("serves several shares at once, each with its own tag", async () => {
    const rig = shareRig({ models: [{ tag: "one" }, { tag: "two" }] });
    expect(rig.shares.map((s) => s.tag)).toEqual(["one", "two"]);
    rig.models[1].server.tree.file("/only-two", "2");
    await rig.run(Promise.all(rig.shares.map((s) => s.client.connect("root", "", 0))));
    await rig.run(rig.shares[1].client.walk(rig.shares[1].client.rootFid, ["only-two"]));
    expect(await rejection(rig.run, rig.shares[0].client.walk(rig.shares[0].client.rootFid, ["only-two"]))).toMatchObject({ code: "ENOENT" });
    assertNoViolations(rig.machine.violations);
  });

  for (const [label, options] of [
    ["the legacy interface", { layout: "legacy" }],
    ["packed rings", { ring: { packed: true } }],
    ["packed rings in order", { ring: { packed: true, inOrder: true } }],
  ] as const) {
    it(`works over ${label}`, async () => {
      const rig = await connected(options);
      const fid = (await rig.run(rig.client.walk(rig.client.rootFid, []))).fid;
      await rig.run(rig.client.lcreate(fid, "f", OpenFlag.ReadWrite, 0o644, 0));
      const data = utf8("x".repeat(3000));
      const writes = [0, 1, 2].map((i) => rig.client.write(fid, i * 3000, data));
      expect((await rig.settle(writes)).every((r) => r.status === "fulfilled")).toBe(true);
      expect(rig.model.server.tree.read("/f")?.length).toBe(9000);
      assertNoViolations(rig.machine.violations);
    });
  }

  it("takes replies from its interrupt, and keeps the loop alive only while requests are in flight", async () => {
    const rig = shareRig({ interrupts: true });
    expect(rig.ninep.interruptMode).not.toBe("polling");
    expect(rig.loop.refCount).toBe(0);
    const connecting = rig.client.connect("root", "", 0);
    // The device's source and the deadline timer.
    expect(rig.loop.refCount).toBe(2);
    await rig.run(connecting);
    expect(rig.loop.refCount).toBe(0);
    expect((await rig.run(rig.client.statfs(rig.client.rootFid))).blockSize).toBe(4096);
    // The device is not polled: turning the loop without delivering the interrupt takes no reply.
    const statfs = rig.client.statfs(rig.client.rootFid);
    for (let i = 0; i < 3; i++) rig.loop.tick();
    expect(rig.client.requestsInFlight).toBe(1);
    expect((await rig.run(statfs)).blockSize).toBe(4096);
    assertNoViolations(rig.machine.violations);
  });

  it("polls when told not to take interrupts, even where it could", async () => {
    const rig = shareRig({ interrupts: true, driverInterrupts: false });
    expect(rig.ninep.interruptMode).toBe("polling");
    await rig.run(rig.client.connect("root", "", 0));
    expect((await rig.run(rig.client.statfs(rig.client.rootFid))).blockSize).toBe(4096);
    assertNoViolations(rig.machine.violations);
  });
});
