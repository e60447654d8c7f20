import { describe, expect, it } from "vitest";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { establish } from "../tcp/established";
import { tcpPair } from "../tcp/pair";
import { ScriptedPeer, fixedIsn } from "../tcp/scripted-peer";
import { ACK, FIN, PSH, RST, SYN, flagNames, mssOption, tcpSegment } from "../tcp/segments";
import { PEER, US } from "../tcp/scripted-peer";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("tcp flow control", () => {
  it("holds data for a zero window, probes with back-off, and resumes when it opens", async () => {
    const { peer, connection, ours, theirs } = establish({}, 5000, 0);
    void connection.write("hello world");
    await peer.settle();
    expect(peer.take()).toHaveLength(0);
    const probes: number[] = [];
    for (let t = 0; t < 2000; t += 10) {
      await peer.scheduler.advance(10);
      for (const probe of peer.take()) {
        expect([probe.seq, decode(probe.data)]).toEqual([ours, "h"]);
        probes.push(peer.scheduler.now());
        peer.send({ seq: theirs, ack: ours, flags: ACK, window: 0 });
      }
    }
    // Probes every RTO (200 ms after a 0 ms handshake sample), doubling: 200, 600, 1400.
    expect(probes).toEqual([200, 600, 1400]);
    expect(connection.state).toBe("ESTABLISHED");
    peer.send({ seq: theirs, ack: ours, flags: ACK, window: 1000 });
    await peer.settle();
    expect(peer.take().map((s) => decode(s.data))).toEqual(["hello world"]);
  });

  it("advertises shrinking free space to a slow reader and a window update when it reads", async () => {
    const { peer, connection, theirs } = establish({ receiveBufferBytes: 4000 });
    for (let i = 0; i < 4; i++) peer.send({ seq: theirs + i * 1000, ack: 1001, flags: ACK, data: new Uint8Array(1000).fill(i) });
    const acks = peer.take();
    expect(acks.map((a) => [a.ack, a.window])).toEqual([
      [theirs + 2000, 2000],
      [theirs + 4000, 0],
    ]);
    // Beyond the window: dropped and answered with an ACK.
    peer.send({ seq: theirs + 4000, ack: 1001, flags: ACK, data: new Uint8Array(10) });
    expect(peer.take().map((a) => [a.ack, a.window])).toEqual([[theirs + 4000, 0]]);
    const chunk = await connection.read();
    expect(chunk?.length).toBe(4000);
    expect(peer.take().map((a) => [a.ack, a.window])).toEqual([[theirs + 4000, 4000]]);
  });

  it("acknowledges every second segment at once and a single one after the delay", async () => {
    const { peer, theirs } = establish({ delayedAckMs: 40 });
    peer.send({ seq: theirs, ack: 1001, flags: ACK, data: text("a") });
    expect(peer.take()).toHaveLength(0);
    await peer.scheduler.advance(39);
    expect(peer.take()).toHaveLength(0);
    await peer.scheduler.advance(1);
    expect(peer.take().map((a) => a.ack)).toEqual([theirs + 1]);
    peer.send({ seq: theirs + 1, ack: 1001, flags: ACK, data: text("b") });
    peer.send({ seq: theirs + 2, ack: 1001, flags: ACK, data: text("c") });
    expect(peer.take().map((a) => a.ack)).toEqual([theirs + 3]);
  });

  it("queues out-of-order segments, acknowledges the gap at once, and delivers in order", async () => {
    const { peer, connection, theirs } = establish();
    const chunks: string[] = [];
    connection.onData((chunk) => chunks.push(decode(chunk)));
    peer.send({ seq: theirs + 3, ack: 1001, flags: ACK, data: text("def") });
    peer.send({ seq: theirs + 3, ack: 1001, flags: ACK, data: text("def") });
    expect(peer.take().map((a) => a.ack)).toEqual([theirs, theirs]);
    expect(chunks).toEqual([]);
    peer.send({ seq: theirs, ack: 1001, flags: ACK, data: text("abc") });
    expect(chunks).toEqual(["abc", "def"]);
    expect(peer.take().map((a) => a.ack)).toEqual([theirs + 6]);
    // A duplicate of old data is acknowledged, not delivered again.
    peer.send({ seq: theirs, ack: 1001, flags: ACK, data: text("abc") });
    expect(chunks).toEqual(["abc", "def"]);
    expect(peer.take().map((a) => a.ack)).toEqual([theirs + 6]);
  });
});

describe("tcp sequence wrap-around", () => {
  it("sends and receives across 2^32 on both sides", async () => {
    const { peer, connection, ours, theirs } = establish({}, 0xfffffff0, 65535, fixedIsn(0xfffffffa));
    expect(ours).toBe(0xfffffffb);
    const chunks: string[] = [];
    connection.onData((chunk) => chunks.push(decode(chunk)));
    peer.send({ seq: theirs, ack: ours, flags: ACK, data: text("0123456789") });
    peer.send({ seq: (theirs + 20) >>> 0, ack: ours, flags: ACK, data: text("KLMNOPQRST") });
    peer.send({ seq: (theirs + 10) >>> 0, ack: ours, flags: ACK, data: text("ABCDEFGHIJ") });
    expect(chunks.join("")).toBe("0123456789ABCDEFGHIJKLMNOPQRST");
    expect(peer.take().at(-1)?.ack).toBe((theirs + 30) >>> 0);
    await connection.write(new Uint8Array(20).fill(1));
    await peer.settle();
    const [sent] = peer.take();
    expect(sent.seq).toBe(0xfffffffb);
    peer.send({ seq: (theirs + 30) >>> 0, ack: (ours + 20) >>> 0, flags: ACK });
    expect(connection.bufferedAmount).toBe(0);
    connection.end();
    await peer.settle();
    const [fin] = peer.take();
    expect(fin).toMatchObject({ seq: 15, flags: FIN | ACK });
  });
});

describe("tcp limits and malformed segments", () => {
  it("drops SYNs beyond the pending handshake limit and counts them when SYN cookies are off", () => {
    const peer = new ScriptedPeer({ maxPendingHandshakes: 4, synCookies: "never" });
    peer.tcp.listen(80, () => undefined, { backlog: 10 });
    for (let i = 0; i < 10; i++) peer.send({ seq: i, flags: SYN, sourcePort: 1000 + i });
    expect(peer.take().filter((s) => s.flags === (SYN | ACK))).toHaveLength(4);
    expect(peer.stack.counters.drops["tcp.synFlood"]).toBe(6);
    expect(peer.tcp.pendingHandshakes).toBe(4);
    // Completing one handshake frees a slot.
    peer.send({ seq: 1, ack: 1001, flags: ACK, sourcePort: 1000 });
    peer.send({ seq: 50, flags: SYN, sourcePort: 2000 });
    expect(peer.take()).toHaveLength(1);
  });

  it("honours the listen backlog and the connection limit when SYN cookies are off", () => {
    const peer = new ScriptedPeer({ maxConnections: 3, synCookies: "never" });
    peer.tcp.listen(80, () => undefined, { backlog: 2 });
    for (let i = 0; i < 3; i++) peer.send({ seq: i, flags: SYN, sourcePort: 1000 + i });
    expect(peer.stack.counters.drops["tcp.backlogFull"]).toBe(1);
    for (let i = 0; i < 2; i++) peer.send({ seq: i + 1, ack: 1001, flags: ACK, sourcePort: 1000 + i });
    for (let i = 0; i < 3; i++) peer.send({ seq: i, flags: SYN, sourcePort: 3000 + i });
    expect(peer.tcp.connections).toBe(3);
    expect(peer.stack.counters.drops["tcp.connectionLimit"]).toBe(2);
  });

  it("counts and drops malformed segments without answering", () => {
    const { peer, theirs } = establish();
    const good = { sourcePort: 40000, destinationPort: 80, seq: theirs, ack: 1001, flags: ACK | PSH, data: text("x") };
    peer.injectIp(new Uint8Array(19));
    peer.injectIp(tcpSegment(PEER, US, { ...good, dataOffsetWords: 4 }));
    peer.injectIp(tcpSegment(PEER, US, { ...good, dataOffsetWords: 15 }));
    peer.injectIp(tcpSegment(PEER, US, { ...good, options: [2, 3, 1] }));
    peer.injectIp(tcpSegment(PEER, US, { ...good, options: [3, 9, 0, 0] }));
    peer.injectIp(tcpSegment(PEER, US, { ...good, corruptChecksum: true }));
    expect(peer.take()).toHaveLength(0);
    expect(peer.stack.counters.drops).toMatchObject({ "tcp.truncated": 1, "tcp.badDataOffset": 2, "tcp.badOptions": 2, "tcp.badChecksum": 1 });
    // The link vouches for the checksum: accepted.
    peer.injectIp(tcpSegment(PEER, US, { ...good, corruptChecksum: true }), true);
    expect(peer.stack.counters.drops["tcp.badChecksum"]).toBe(1);
  });
});

describe("tcp resets and closing", () => {
  it("validates RSTs by sequence number (RFC 5961): challenge ACK in window, reset when exact", async () => {
    const { peer, connection, ours, theirs } = establish();
    const errors: unknown[] = [];
    connection.onError((error) => errors.push(error));
    peer.send({ seq: theirs + 100, flags: RST });
    expect(peer.take().map((s) => [flagNames(s.flags), s.ack])).toEqual([["ACK", theirs]]);
    peer.send({ seq: theirs + 1_000_000, flags: RST });
    expect(peer.take()).toHaveLength(0);
    expect(connection.state).toBe("ESTABLISHED");
    const reading = connection.read().catch((error: unknown) => error);
    peer.send({ seq: theirs, ack: ours, flags: RST });
    expect(connection.state).toBe("CLOSED");
    await peer.settle();
    expect(errors).toMatchObject([{ code: "reset" }]);
    expect(await reading).toMatchObject({ code: "reset" });
    await expect(connection.write("x")).rejects.toMatchObject({ code: "closed" });
    expect(peer.stack.counters.tcp.resetsIn).toBe(1);
  });

  it("aborts with RST", async () => {
    const { peer, connection, ours, theirs } = establish();
    connection.abort();
    expect(peer.take().map((s) => [flagNames(s.flags), s.seq, s.ack])).toEqual([["RST|ACK", ours, theirs]]);
    expect(peer.tcp.connections).toBe(0);
  });

  it("closes simultaneously through CLOSING into TIME_WAIT on both sides", async () => {
    const { client, server, runUntil, scheduler } = tcpPair({ timeWaitMs: 500 });
    let serverSide: TcpConnection | null = null;
    server.tcp.listen(7, (c) => (serverSide = c));
    let clientSide: TcpConnection | null = null;
    void client.tcp.connect("10.0.2.2", 7).then((c) => (clientSide = c));
    await runUntil(() => clientSide !== null && serverSide !== null);
    const a = clientSide as unknown as TcpConnection;
    const b = serverSide as unknown as TcpConnection;
    client.link.latencyMs = server.link.latencyMs = 5;
    a.end();
    b.end();
    await scheduler.advance(0);
    expect([a.state, b.state]).toEqual(["FIN_WAIT_1", "FIN_WAIT_1"]);
    await scheduler.advance(5);
    expect([a.state, b.state]).toEqual(["CLOSING", "CLOSING"]);
    await scheduler.advance(5);
    expect([a.state, b.state]).toEqual(["TIME_WAIT", "TIME_WAIT"]);
    await scheduler.advance(500);
    expect([a.state, b.state]).toEqual(["CLOSED", "CLOSED"]);
  });

  it("re-acknowledges a retransmitted FIN in TIME_WAIT and restarts the timer", async () => {
    const { peer, connection, ours, theirs } = establish({ timeWaitMs: 1000 });
    connection.end();
    await peer.settle();
    const [fin] = peer.take();
    expect(fin.flags).toBe(FIN | ACK);
    peer.send({ seq: theirs, ack: ours + 1, flags: FIN | ACK });
    expect(connection.state).toBe("TIME_WAIT");
    expect(peer.take().map((s) => s.ack)).toEqual([theirs + 1]);
    await peer.scheduler.advance(900);
    peer.send({ seq: theirs, ack: ours + 1, flags: FIN | ACK });
    expect(peer.take().map((s) => s.ack)).toEqual([theirs + 1]);
    await peer.scheduler.advance(900);
    expect(connection.state).toBe("TIME_WAIT");
    await peer.scheduler.advance(100);
    expect(connection.state).toBe("CLOSED");
  });

  it("probes an idle peer with keep-alive and fails when nobody answers", async () => {
    const { peer, connection, ours, theirs } = establish();
    const errors: unknown[] = [];
    connection.onError((error) => errors.push(error));
    connection.setKeepAlive({ idleMs: 1000, intervalMs: 100, probes: 2 });
    await peer.scheduler.advance(1000);
    expect(peer.take().map((s) => [s.seq, s.data.length])).toEqual([[ours - 1, 0]]);
    peer.send({ seq: theirs, ack: ours, flags: ACK });
    await peer.scheduler.advance(999);
    expect(peer.take()).toHaveLength(0);
    await peer.scheduler.advance(1 + 100 + 100);
    expect(peer.take()).toHaveLength(2);
    await peer.settle();
    expect(errors).toMatchObject([{ code: "timeout" }]);
  });
});

describe("tcp peer MSS", () => {
  it("clamps an announced MSS of 0 to the 48-byte minimum and still sends", async () => {
    const peer = new ScriptedPeer();
    const accepted: TcpConnection[] = [];
    peer.tcp.listen(80, (connection) => accepted.push(connection));
    peer.send({ seq: 5000, flags: SYN, options: mssOption(0) });
    const [synAck] = peer.take();
    peer.send({ seq: 5001, ack: (synAck.seq + 1) >>> 0, flags: ACK });
    expect(accepted).toHaveLength(1);
    void accepted[0].write(new Uint8Array(200).fill(7));
    await peer.settle();
    const sent = peer.take();
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((s) => s.data.length <= 48)).toBe(true);
    expect(sent[0].data.length).toBe(48);
  });
});

describe("tcp TIME_WAIT", () => {
  /** A connection from `sourcePort` that the stack closes first, so that it ends in TIME_WAIT. */
  async function closedByUs(peer: ScriptedPeer, accepted: TcpConnection[], sourcePort: number): Promise<TcpConnection> {
    peer.send({ seq: 5000, flags: SYN, sourcePort, options: mssOption(1000) });
    const [synAck] = peer.take();
    const ours = (synAck.seq + 1) >>> 0;
    peer.send({ seq: 5001, ack: ours, flags: ACK, sourcePort });
    const connection = accepted[accepted.length - 1];
    connection.close();
    await peer.settle();
    peer.take();
    peer.send({ seq: 5001, ack: ours + 1, flags: FIN | ACK, sourcePort });
    peer.take();
    return connection;
  }

  it("keeps TIME_WAIT out of the connection limit and bounds it separately, oldest ended first", async () => {
    const peer = new ScriptedPeer({ maxConnections: 2, maxTimeWait: 1 });
    const accepted: TcpConnection[] = [];
    peer.tcp.listen(80, (connection) => accepted.push(connection), { backlog: 8 });
    const first = await closedByUs(peer, accepted, 1001);
    expect(first.state).toBe("TIME_WAIT");
    const second = await closedByUs(peer, accepted, 1002);
    expect([first.state, second.state]).toEqual(["CLOSED", "TIME_WAIT"]);
    expect(peer.stack.counters.tcp).toMatchObject({ timeWait: 1, timeWaitRecycled: 1, connections: 1 });
    // Two new clients fit although a connection is still in TIME_WAIT.
    for (const sourcePort of [2001, 2002]) {
      peer.send({ seq: 9000, flags: SYN, sourcePort });
      const [synAck] = peer.take();
      expect(flagNames(synAck.flags)).toBe("SYN|ACK");
      peer.send({ seq: 9001, ack: (synAck.seq + 1) >>> 0, flags: ACK, sourcePort });
    }
    expect(accepted).toHaveLength(4);
    expect(peer.stack.counters.drops["tcp.connectionLimit"]).toBe(0);
    // A third live one is over the limit.
    peer.send({ seq: 9000, flags: SYN, sourcePort: 2003 });
    expect(peer.stack.counters.drops["tcp.connectionLimit"]).toBe(1);
  });
});

describe("tcp zero-window probing", () => {
  it("fails with a timeout when the peer shuts its window and stops answering probes", async () => {
    const { peer, connection } = establish({ maxRetransmits: 3, maxRtoMs: 1000 }, 5000, 0);
    const errors: string[] = [];
    connection.onError((error) => errors.push(error.code));
    void connection.write("hello").catch(() => undefined);
    let probes = 0;
    for (let t = 0; t < 20_000 && connection.state !== "CLOSED"; t += 100) {
      await peer.scheduler.advance(100);
      probes += peer.take().filter((s) => s.data.length === 1).length;
    }
    expect(probes).toBe(3);
    expect(connection.state).toBe("CLOSED");
    expect(errors).toEqual(["timeout"]);
    expect(peer.stack.counters.tcp.timeouts).toBe(1);
  });

  it("keeps probing a peer that answers, but resets an orphan after maxOrphanProbes", async () => {
    const { peer, connection, ours, theirs } = establish({ maxOrphanProbes: 2, maxRtoMs: 1000 }, 5000, 0);
    void connection.write("hello").catch(() => undefined);
    const answerProbes = async (ms: number): Promise<number> => {
      let probes = 0;
      for (let t = 0; t < ms; t += 100) {
        await peer.scheduler.advance(100);
        for (const segment of peer.take()) {
          if (segment.data.length !== 1) continue;
          probes++;
          peer.send({ seq: theirs, ack: ours, flags: ACK, window: 0 });
        }
      }
      return probes;
    };
    expect(await answerProbes(10_000)).toBeGreaterThan(5);
    expect(connection.state).toBe("ESTABLISHED");
    connection.close();
    await answerProbes(10_000);
    expect(connection.state).toBe("CLOSED");
    expect(peer.stack.counters.tcp.resetsOut).toBe(1);
  });
});
