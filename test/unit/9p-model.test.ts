// The 9P server model as an oracle: what the protocol asks of a client is checked and every breach
// recorded, so a client that breaks a rule cannot pass the other tests by accident.
import { describe, expect, it } from "vitest";
import { P9, P9_NOFID, P9_NOTAG } from "../sim/ninep/protocol";
import { NinePServer } from "../sim/ninep/server";
import { Builder, Cursor } from "../sim/ninep/wire";

function server() {
  const breaches: string[] = [];
  const s = new NinePServer((m) => breaches.push(m));
  return { s, breaches };
}

function version(s: NinePServer, msize = 8192): void {
  s.handle(new Builder().u32(msize).str("9P2000.L").done(P9.Tversion, P9_NOTAG));
}

function attach(s: NinePServer, fid: number, tag = 1): Uint8Array {
  return s.handle(new Builder().u32(fid).u32(P9_NOFID).str("root").str("").u32(0).done(P9.Tattach, tag)) as Uint8Array;
}

function typeOf(reply: Uint8Array | "silent"): number {
  return (reply as Uint8Array)[4];
}

describe("9P server model", () => {
  it("answers a well-behaved session without a breach", () => {
    const { s, breaches } = server();
    version(s);
    expect(typeOf(attach(s, 0))).toBe(P9.Rattach);
    s.tree.file("/a/b", "hi");
    const walk = s.handle(new Builder().u32(0).u32(1).u16(2).str("a").str("b").done(P9.Twalk, 2));
    const reply = new Cursor(walk as Uint8Array);
    expect([reply.u32(), reply.u8(), reply.u16(), reply.u16()]).toEqual([7 + 2 + 26, P9.Rwalk, 2, 2]);
    expect(typeOf(s.handle(new Builder().u32(1).done(P9.Tclunk, 3)))).toBe(P9.Rclunk);
    expect(breaches).toEqual([]);
  });

  it("records a request before Tversion, a reused tag, a reused fid and an oversized walk", () => {
    const { s, breaches } = server();
    attach(s, 0);
    expect(breaches).toEqual(["type 104 before Tversion"]);
    version(s);
    attach(s, 0);
    s.faults.push({ on: P9.Tstatfs, kind: "silent" });
    expect(s.handle(new Builder().u32(0).done(P9.Tstatfs, 9))).toBe("silent");
    s.handle(new Builder().u32(0).done(P9.Tstatfs, 9));
    expect(breaches).toContain("tag 9 reused while a request with it is outstanding");
    attach(s, 0, 10);
    expect(breaches).toContain("fid 0 reused before it was clunked");
    const names = new Builder().u32(0).u32(5).u16(17);
    for (let i = 0; i < 17; i++) names.str("x");
    s.handle(names.done(P9.Twalk, 11));
    expect(breaches).toContain("Twalk of 17 names (at most 16)");
  });

  it("records a T-message whose size disagrees with what was sent or exceeds msize", () => {
    const { s, breaches } = server();
    version(s, 4096);
    attach(s, 0);
    const message = new Builder().u32(0).done(P9.Tstatfs, 1);
    s.handle(Uint8Array.from([...message, 0, 0]));
    expect(breaches[0]).toMatch(/size\[4\] 11 but 13 readable bytes/);
    const big = new Builder().u32(0).u64(0).u32(5000).raw(new Uint8Array(5000)).done(P9.Twrite, 2);
    s.handle(big);
    expect(breaches.some((b) => /exceeds msize 4096/.test(b))).toBe(true);
  });
});
