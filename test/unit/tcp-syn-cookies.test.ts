import { describe, expect, it } from "vitest";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { SipHash24 } from "../../runtime/net/tcp/siphash";
import { COOKIE_STEP_MS, SynCookies } from "../../runtime/net/tcp/syn-cookies";
import { ip } from "../net/packets";
import { seededRandom } from "../net/seeded-random";
import { PEER_PORT, ScriptedPeer } from "../tcp/scripted-peer";
import { ACK, FIN, PSH, SYN, flagNames, mssOption, windowScaleOption, type DecodedTcp } from "../tcp/segments";
import { synFlood } from "../tcp/syn-flood";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array | null): string => new TextDecoder().decode(b ?? new Uint8Array(0));

const FLOOD = 1000;
const HALF_OPEN_LIMIT = 128;

/** A listener on port 80 whose backlog exceeds the global half-open limit, so the table fills. */
function listening(peer: ScriptedPeer): TcpConnection[] {
  const accepted: TcpConnection[] = [];
  peer.tcp.listen(80, (connection) => accepted.push(connection), { backlog: 2 * HALF_OPEN_LIMIT });
  return accepted;
}

/** Sends a SYN from `port` and returns the one SYN-ACK it got. */
function synAckFor(peer: ScriptedPeer, port: number, isn: number, options: number[] = mssOption(1460)): DecodedTcp {
  peer.send({ seq: isn, flags: SYN, sourcePort: port, options });
  const replies = peer.take();
  expect(replies.map((s) => flagNames(s.flags))).toEqual(["SYN|ACK"]);
  return replies[0];
}

describe("tcp SYN cookies", () => {
  it("lets a legitimate client in while a SYN flood fills the half-open table", async () => {
    const peer = new ScriptedPeer();
    const accepted = listening(peer);
    synFlood(peer, FLOOD);
    expect(peer.tcp.pendingHandshakes).toBe(HALF_OPEN_LIMIT);
    peer.take();
    peer.send({ seq: 7000, flags: SYN, options: mssOption(1460) });
    const [synAck] = peer.take();
    expect(synAck).toBeDefined();
    expect(synAck).toMatchObject({ flags: SYN | ACK, ack: 7001 });
    peer.send({ seq: 7001, ack: (synAck.seq + 1) >>> 0, flags: ACK | PSH, data: text("hello") });
    expect(accepted).toHaveLength(1);
    const connection = accepted[0];
    expect(connection.state).toBe("ESTABLISHED");
    expect(decode(await connection.read())).toBe("hello");
    await connection.write("world");
    await peer.settle();
    const [reply] = peer.take();
    expect(reply).toMatchObject({ seq: (synAck.seq + 1) >>> 0, ack: 7006 });
    expect(decode(reply.data)).toBe("world");
  });

  it("answers a flood statelessly once the half-open table is full, and counts it", async () => {
    const peer = new ScriptedPeer();
    const accepted = listening(peer);
    synFlood(peer, FLOOD);
    const synAcks = peer.take();
    expect(synAcks).toHaveLength(FLOOD);
    expect(synAcks.every((s) => s.flags === (SYN | ACK) && s.checksumOk)).toBe(true);
    const { tcp, drops } = peer.stack.counters;
    expect(tcp.syncookiesSent).toBe(FLOOD - HALF_OPEN_LIMIT);
    expect(drops["tcp.synFlood"]).toBe(0);
    // The cookies hold no state: the tables carry only the half-open connections.
    expect(peer.tcp.pendingHandshakes).toBe(HALF_OPEN_LIMIT);
    expect(peer.tcp.connections).toBe(HALF_OPEN_LIMIT);

    // A cookie SYN-ACK carries an MSS but no window scale, even when the peer offered one.
    const synAck = synAckFor(peer, PEER_PORT, 7000, [...mssOption(1460), ...windowScaleOption(7)]);
    expect(synAck).toMatchObject({ ack: 7001, mss: 1460, windowScale: null, window: 65535 });
    expect(tcp.syncookiesSent).toBe(FLOOD - HALF_OPEN_LIMIT + 1);

    // The peer ends its side in the final ACK, with data: both are taken as usual.
    peer.send({ seq: 7001, ack: (synAck.seq + 1) >>> 0, flags: ACK | PSH | FIN, data: text("bye"), window: 2920 });
    expect(tcp.syncookiesValidated).toBe(1);
    expect(tcp.passiveOpens).toBe(1);
    expect(peer.tcp.pendingHandshakes).toBe(HALF_OPEN_LIMIT);
    const connection = accepted[0];
    expect(connection.state).toBe("CLOSE_WAIT");
    expect(decode(await connection.read())).toBe("bye");
    expect(await connection.read()).toBeNull();
    const [finAck] = peer.take();
    expect(finAck).toMatchObject({ flags: ACK, ack: 7005 });
    // No window scaling: the window the peer sent (2920) is taken unscaled.
    await connection.write(new Uint8Array(5000));
    await peer.settle();
    expect(peer.take().map((s) => s.data.length)).toEqual([1460, 1460]);
  });

  it("refuses forged ACKs with RST and counts them", () => {
    const peer = new ScriptedPeer();
    const accepted = listening(peer);
    synFlood(peer, FLOOD);
    peer.take();
    const { tcp } = peer.stack.counters;
    const synAck = synAckFor(peer, PEER_PORT, 7000);
    const cookie = synAck.seq;
    const forgeries = [
      { sourcePort: PEER_PORT, seq: 7001, ack: (cookie + 2) >>> 0 }, // wrong cookie
      { sourcePort: PEER_PORT, seq: 7001, ack: ((cookie ^ 0x100) + 1) >>> 0 }, // wrong cookie
      { sourcePort: PEER_PORT + 1, seq: 7001, ack: (cookie + 1) >>> 0 }, // another 4-tuple
      { sourcePort: PEER_PORT, seq: 7002, ack: (cookie + 1) >>> 0 }, // another peer ISN
      { sourcePort: PEER_PORT, seq: 7001, ack: ((cookie ^ 1) + 1) >>> 0 }, // another MSS index
    ];
    for (const forged of forgeries) {
      peer.send({ ...forged, flags: ACK });
      const replies = peer.take();
      expect(replies.map((s) => [flagNames(s.flags), s.seq])).toEqual([["RST", forged.ack]]);
    }
    expect(tcp.syncookiesFailed).toBe(forgeries.length);
    expect(tcp.syncookiesValidated).toBe(0);
    expect(accepted).toHaveLength(0);
    // The real one still works.
    peer.send({ seq: 7001, ack: (cookie + 1) >>> 0, flags: ACK });
    expect(accepted).toHaveLength(1);
    expect(tcp.syncookiesValidated).toBe(1);
  });

  it("accepts a cookie from the previous time step but not from the one before", async () => {
    const peer = new ScriptedPeer({ synCookies: "always" });
    const accepted = listening(peer);
    const { tcp, drops } = peer.stack.counters;
    const first = synAckFor(peer, 50001, 100);
    const second = synAckFor(peer, 50002, 200);
    await peer.scheduler.advance(COOKIE_STEP_MS);
    peer.send({ seq: 101, ack: (first.seq + 1) >>> 0, flags: ACK, sourcePort: 50001 });
    expect(accepted).toHaveLength(1);
    await peer.scheduler.advance(COOKIE_STEP_MS);
    peer.announce();
    // No cookie went out in this step or the last: a stray ACK is just that, not a failed cookie.
    peer.send({ seq: 201, ack: (second.seq + 1) >>> 0, flags: ACK, sourcePort: 50002 });
    expect(flagNames(peer.take()[0].flags)).toBe("RST");
    expect(tcp.syncookiesFailed).toBe(0);
    expect(drops["tcp.noConnection"]).toBe(1);
    // With cookies out again, the old one is checked, and fails.
    synAckFor(peer, 50003, 300);
    peer.send({ seq: 201, ack: (second.seq + 1) >>> 0, flags: ACK, sourcePort: 50002 });
    expect(peer.take().map((s) => [flagNames(s.flags), s.seq])).toEqual([["RST", (second.seq + 1) >>> 0]]);
    expect(tcp.syncookiesFailed).toBe(1);
    expect(accepted).toHaveLength(1);
  });

  it("bounds the segments it sends by the MSS decoded from the cookie", async () => {
    const cases: [number[], number][] = [
      [mssOption(1400), 1300],
      [mssOption(1200), 536],
      [[], 536],
      [mssOption(1440), 1440],
      [mssOption(9000), 1460],
    ];
    for (const [options, mss] of cases) {
      const peer = new ScriptedPeer({ synCookies: "always" });
      const accepted = listening(peer);
      const synAck = synAckFor(peer, PEER_PORT, 900, options);
      peer.send({ seq: 901, ack: (synAck.seq + 1) >>> 0, flags: ACK });
      const connection = accepted[0];
      await connection.write(new Uint8Array(3 * mss - 10));
      await peer.settle();
      expect(peer.take().map((s) => s.data.length)).toEqual([mss, mss, mss - 10]);
    }
  });

  it("drops a valid cookie ACK silently when the connection limit is reached", () => {
    const peer = new ScriptedPeer({ synCookies: "always", maxConnections: 1 });
    const accepted = listening(peer);
    const { tcp, drops } = peer.stack.counters;
    const first = synAckFor(peer, 50001, 100);
    const second = synAckFor(peer, 50002, 200);
    peer.send({ seq: 101, ack: (first.seq + 1) >>> 0, flags: ACK, sourcePort: 50001 });
    peer.send({ seq: 201, ack: (second.seq + 1) >>> 0, flags: ACK, sourcePort: 50002 });
    expect(accepted).toHaveLength(1);
    expect(peer.take()).toHaveLength(0);
    expect(tcp.syncookiesValidated).toBe(2);
    expect(drops["tcp.connectionLimit"]).toBe(1);
    // At the limit, a SYN gets no cookie either: its ACK could not be given a connection.
    peer.send({ seq: 300, flags: SYN, sourcePort: 50003 });
    expect(peer.take()).toHaveLength(0);
    expect(drops["tcp.connectionLimit"]).toBe(2);
  });

  it("keeps no cookie mode at all with synCookies: never", () => {
    const peer = new ScriptedPeer({ synCookies: "never" });
    const accepted = listening(peer);
    synFlood(peer, FLOOD);
    expect(peer.take()).toHaveLength(HALF_OPEN_LIMIT);
    peer.send({ seq: 7000, flags: SYN });
    expect(peer.take()).toHaveLength(0);
    const { tcp, drops } = peer.stack.counters;
    expect(drops["tcp.synFlood"]).toBe(FLOOD - HALF_OPEN_LIMIT + 1);
    // A stray ACK is refused as any other, never taken for a cookie.
    peer.send({ seq: 7001, ack: 12345, flags: ACK });
    expect(peer.take().map((s) => flagNames(s.flags))).toEqual(["RST"]);
    expect(tcp.syncookiesSent + tcp.syncookiesValidated + tcp.syncookiesFailed).toBe(0);
    expect(accepted).toHaveLength(0);
  });

  it("answers only SYN overflow with cookies under when-full", () => {
    const peer = new ScriptedPeer();
    peer.tcp.listen(80, () => undefined, { backlog: 2 });
    for (let port = 50001; port <= 50003; port++) peer.send({ seq: port, flags: SYN, sourcePort: port });
    const synAcks = peer.take();
    // The first two hold state (ISS from the stack's random source), the third is a cookie.
    expect(synAcks.map((s) => s.seq === 1000)).toEqual([true, true, false]);
    expect(peer.stack.counters.tcp.syncookiesSent).toBe(1);
    expect(peer.stack.counters.drops["tcp.backlogFull"]).toBe(0);
    expect(peer.tcp.pendingHandshakes).toBe(2);
  });
});

describe("the SYN cookie function", () => {
  const tuple = { localAddress: ip("10.0.2.15"), localPort: 80, remoteAddress: ip("10.0.2.9"), remotePort: 40000 };
  const step = 1234;

  it("is stable within a step and changes across steps and secrets", () => {
    const cookies = new SynCookies(seededRandom(1));
    const cookie = cookies.make(tuple, 5000, 1460, step);
    expect(cookies.make(tuple, 5000, 1460, step)).toBe(cookie);
    expect(new SynCookies(seededRandom(1)).make(tuple, 5000, 1460, step)).toBe(cookie);
    expect(cookies.make(tuple, 5000, 1460, step + 1)).not.toBe(cookie);
    expect(cookies.make(tuple, 5000, 1460, step - 1)).not.toBe(cookie);
    expect(new SynCookies(seededRandom(2)).make(tuple, 5000, 1460, step)).not.toBe(cookie);
  });

  it("validates in its step and the next, for the same 4-tuple and ISN only", () => {
    const cookies = new SynCookies(seededRandom(3));
    const cookie = cookies.make(tuple, 5000, 1460, step);
    expect(cookies.check(tuple, 5000, cookie, step)).toBe(1460);
    expect(cookies.check(tuple, 5000, cookie, step + 1)).toBe(1460);
    expect(cookies.check(tuple, 5000, cookie, step + 2)).toBeNull();
    expect(cookies.check(tuple, 5000, cookie, step - 1)).toBeNull();
    expect(cookies.check(tuple, 5001, cookie, step)).toBeNull();
    for (const changed of [{ localAddress: ip("10.0.2.16") }, { localPort: 81 }, { remoteAddress: ip("10.0.2.8") }, { remotePort: 40001 }]) {
      expect(cookies.check({ ...tuple, ...changed }, 5000, cookie, step)).toBeNull();
    }
    expect(new SynCookies(seededRandom(4)).check(tuple, 5000, cookie, step)).toBeNull();
    // Every single-bit change of the cookie fails, MSS index bits included.
    for (let bit = 0; bit < 32; bit++) expect(cookies.check(tuple, 5000, (cookie ^ (1 << bit)) >>> 0, step)).toBeNull();
  });

  it("encodes the largest table MSS not above the one offered", () => {
    const cookies = new SynCookies(seededRandom(5));
    const decoded = (mss: number): number | null => cookies.check(tuple, 1, cookies.make(tuple, 1, mss, step), step);
    expect([48, 536, 1299, 1300, 1439, 1440, 1459, 1460, 65535].map(decoded)).toEqual([536, 536, 536, 1300, 1300, 1440, 1440, 1460, 1460]);
  });

  it("spreads cookies over the whole sequence space", () => {
    const cookies = new SynCookies(seededRandom(6));
    const made = new Set<number>();
    for (let port = 0; port < 4096; port++) made.add(cookies.make({ ...tuple, remotePort: port }, 5000, 1460, step) >>> 20);
    // 4096 cookies fall into most of the 4096 top-12-bit buckets (about 63% if uniform).
    expect(made.size).toBeGreaterThan(2400);
  });
});

describe("SipHash-2-4", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const hex = (h: SipHash24): string => h.high.toString(16).padStart(8, "0") + h.low.toString(16).padStart(8, "0");

  it("matches the test vectors of the SipHash paper", () => {
    const sip = new SipHash24(key);
    sip.hash(new Uint8Array(0));
    expect(hex(sip)).toBe("726fdb47dd0e0e31");
    sip.hash(Uint8Array.from({ length: 15 }, (_, i) => i));
    expect(hex(sip)).toBe("a129ca6149be45e5");
  });

  it("agrees with a BigInt reading of the algorithm for every length up to 40", () => {
    const random = seededRandom(7);
    const otherKey = new Uint8Array(16);
    random(otherKey);
    const sip = new SipHash24(otherKey);
    for (let length = 0; length <= 40; length++) {
      const message = new Uint8Array(length);
      random(message);
      sip.hash(message);
      expect(hex(sip)).toBe(referenceSipHash(otherKey, message).toString(16).padStart(16, "0"));
    }
  });
});

/** SipHash-2-4 straight from the paper's description, on 64-bit BigInts. */
function referenceSipHash(key: Uint8Array, message: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  const le = (bytes: Uint8Array, at: number, count: number): bigint => {
    let v = 0n;
    for (let i = count - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
    return v;
  };
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & mask;
  const k0 = le(key, 0, 8);
  const k1 = le(key, 8, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & mask;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & mask;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & mask;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & mask;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const blocks: bigint[] = [];
  const whole = message.length - (message.length % 8);
  for (let at = 0; at < whole; at += 8) blocks.push(le(message, at, 8));
  blocks.push((BigInt(message.length & 0xff) << 56n) | le(message, whole, message.length - whole));
  for (const m of blocks) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}
