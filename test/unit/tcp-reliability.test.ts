import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { establish } from "../tcp/established";
import { tcpPair } from "../tcp/pair";
import { ScriptedPeer } from "../tcp/scripted-peer";
import { ACK, PSH, SYN, flagNames } from "../tcp/segments";

const pattern = (length: number, seed = 1): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + seed + (i >>> 8)) & 0xff);
const sha = (chunks: Uint8Array[]): string => {
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex");
};

/** Sends `data` from client to server over a pair whose client link applies `filter`. */
async function transfer(data: Uint8Array, setup: (pair: ReturnType<typeof tcpPair>) => void) {
  const pair = tcpPair();
  setup(pair);
  const received: Uint8Array[] = [];
  let ended = false;
  pair.server.tcp.listen(9, (connection) => {
    connection.onData((chunk) => received.push(chunk));
    connection.onEnd(() => {
      ended = true;
      connection.end();
    });
  });
  let client: TcpConnection | null = null;
  void pair.client.tcp.connect("10.0.2.2", 9).then((c) => (client = c));
  await pair.runUntil(() => client !== null);
  const connection = client as unknown as TcpConnection;
  void connection.write(data).then(() => connection.end());
  await pair.runUntil(() => ended, 120_000);
  return { ...pair, received, connection, ended };
}

describe("tcp loss, reordering and duplication", () => {
  it("recovers a lost data segment by fast retransmit", async () => {
    const data = pattern(200_000);
    let dataSegments = 0;
    const { received, client, ended } = await transfer(data, ({ client }) => {
      client.link.filter = (segment) => (segment !== null && segment.data.length > 0 && ++dataSegments === 5 ? "drop" : "deliver");
    });
    expect(ended).toBe(true);
    expect(sha(received)).toBe(sha([data]));
    expect(client.stack.counters.tcp.fastRetransmits).toBe(1);
    expect(client.stack.counters.tcp.retransmits).toBeGreaterThanOrEqual(1);
  });

  it("recovers from a lost tail segment by the retransmission timer", async () => {
    const data = pattern(3000);
    let dropped = false;
    const { received, client, ended, scheduler } = await transfer(data, ({ client }) => {
      client.link.filter = (segment) => {
        if (!dropped && segment !== null && (segment.flags & PSH) !== 0) {
          dropped = true;
          return "drop";
        }
        return "deliver";
      };
    });
    expect(ended).toBe(true);
    expect(sha(received)).toBe(sha([data]));
    expect(client.stack.counters.tcp.fastRetransmits).toBe(0);
    expect(client.stack.counters.tcp.retransmits).toBe(1);
    // The first RTO, without any RTT sample beyond the handshake, is well under a second here.
    expect(scheduler.now()).toBeLessThan(1000);
  });

  it("delivers in order despite reordering and duplication, and loses nothing to lost ACKs", async () => {
    const data = pattern(100_000, 7);
    let count = 0;
    const { received, ended } = await transfer(data, ({ client, server }) => {
      client.link.filter = (segment) => {
        count++;
        if (segment === null || segment.data.length === 0) return "deliver";
        if (count % 7 === 0) return { delayMs: 3 };
        if (count % 5 === 0) return "duplicate";
        return "deliver";
      };
      let acks = 0;
      server.link.filter = (segment) => (segment !== null && segment.data.length === 0 && ++acks % 4 === 0 ? "drop" : "deliver");
    });
    expect(ended).toBe(true);
    expect(sha(received)).toBe(sha([data]));
  });
});

describe("tcp retransmission timer", () => {
  it("backs off exponentially and fails with 'timeout' after the retry limit", async () => {
    const { peer, connection, ours } = establish({ maxRetransmits: 3, initialRtoMs: 1000 });
    const errors: unknown[] = [];
    connection.onError((error) => errors.push(error));
    let closed = false;
    connection.onClose(() => (closed = true));
    const pending = connection.write("data").catch(() => undefined);
    await peer.settle();
    const times: number[] = [];
    const first = peer.take();
    expect(first.map((s) => s.seq)).toEqual([ours]);
    for (let t = 0; t < 20_000; t += 100) {
      await peer.scheduler.advance(100);
      for (const segment of peer.take()) {
        expect(segment.seq).toBe(ours);
        times.push(peer.scheduler.now());
      }
    }
    // The handshake's 0 ms sample set the RTO to the 200 ms floor; it then doubles.
    expect(times).toEqual([200, 600, 1400]);
    expect(errors).toMatchObject([{ code: "timeout" }]);
    expect(closed).toBe(true);
    expect(connection.state).toBe("CLOSED");
    expect(peer.tcp.connections).toBe(0);
    expect(peer.stack.counters.tcp.timeouts).toBe(1);
    await pending;
  });

  it("takes RTT samples and derives the RTO from them (RFC 6298), ignoring retransmitted segments", async () => {
    const peer = new ScriptedPeer();
    let accepted: TcpConnection | null = null;
    peer.tcp.listen(80, (c) => (accepted = c));
    peer.send({ seq: 5000, flags: SYN });
    const ours = peer.take()[0].seq + 1;
    const theirs = 5001;
    await peer.scheduler.advance(300);
    peer.send({ seq: theirs, ack: ours, flags: ACK });
    const connection = accepted as unknown as TcpConnection;
    // R = 300: SRTT = 300, RTTVAR = 150.
    expect(connection.srttMs).toBe(300);
    void connection.write("abc");
    await peer.settle();
    peer.take();
    await peer.scheduler.advance(100);
    peer.send({ seq: theirs, ack: ours + 3, flags: ACK });
    // R = 100: RTTVAR = 3/4 * 150 + 1/4 * 200 = 162.5, SRTT = 7/8 * 300 + 1/8 * 100 = 275, RTO = 275 + 4 * 162.5 = 925.
    expect(connection.srttMs).toBe(275);
    void connection.write("def");
    await peer.settle();
    peer.take();
    await peer.scheduler.advance(924);
    expect(peer.take()).toHaveLength(0);
    await peer.scheduler.advance(1);
    expect(peer.take().map((s) => s.seq)).toEqual([ours + 3]);
    // Karn: the ACK of a retransmitted segment gives no sample.
    await peer.scheduler.advance(50);
    peer.send({ seq: theirs, ack: ours + 6, flags: ACK });
    expect(connection.srttMs).toBe(275);
  });

  it("retransmits the SYN-ACK and answers a retransmitted SYN", async () => {
    const peer = new ScriptedPeer({ initialRtoMs: 1000, maxSynRetransmits: 1 });
    peer.tcp.listen(80, () => undefined);
    peer.send({ seq: 1, flags: SYN });
    expect(peer.take()).toHaveLength(1);
    peer.send({ seq: 1, flags: SYN });
    expect(peer.take().map((s) => flagNames(s.flags))).toEqual(["SYN|ACK"]);
    await peer.scheduler.advance(1000);
    expect(peer.take().map((s) => flagNames(s.flags))).toEqual(["SYN|ACK"]);
    expect(peer.tcp.pendingHandshakes).toBe(1);
    await peer.scheduler.advance(2000);
    expect(peer.tcp.pendingHandshakes).toBe(0);
    expect(peer.tcp.connections).toBe(0);
  });
});
