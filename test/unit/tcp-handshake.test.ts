import { describe, expect, it } from "vitest";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { tcpPair } from "../tcp/pair";
import { PEER_PORT, ScriptedPeer } from "../tcp/scripted-peer";
import { ACK, FIN, PSH, RST, SYN, flagNames, mssOption, windowScaleOption } from "../tcp/segments";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("tcp handshake and close", () => {
  it("opens passively: SYN -> SYN-ACK with MSS and window scale -> ACK, then hands over the connection", async () => {
    const peer = new ScriptedPeer();
    const accepted: TcpConnection[] = [];
    peer.tcp.listen(80, (connection) => accepted.push(connection));
    peer.send({ seq: 5000, flags: SYN, options: [...mssOption(1400), ...windowScaleOption(2)] });
    const [synAck] = peer.take();
    expect(flagNames(synAck.flags)).toBe("SYN|ACK");
    expect(synAck).toMatchObject({ sourcePort: 80, destinationPort: PEER_PORT, seq: 1000, ack: 5001, mss: 1460, windowScale: 1, checksumOk: true });
    expect(synAck.window).toBe(65535);
    expect(accepted).toHaveLength(0);
    peer.send({ seq: 5001, ack: 1001, flags: ACK, window: 1000 });
    expect(accepted).toHaveLength(1);
    expect(accepted[0].state).toBe("ESTABLISHED");
    expect(accepted[0].remotePort).toBe(PEER_PORT);
    expect(peer.stack.counters.tcp.passiveOpens).toBe(1);
  });

  it("leaves window scaling out of the SYN-ACK when the peer did not offer it", () => {
    const peer = new ScriptedPeer();
    peer.tcp.listen(80, () => undefined);
    peer.send({ seq: 1, flags: SYN });
    const [synAck] = peer.take();
    expect(synAck.windowScale).toBeNull();
    expect(synAck.window).toBe(65535);
  });

  it("answers a SYN to a closed port with RST|ACK and a stray ACK with RST", () => {
    const peer = new ScriptedPeer();
    peer.send({ seq: 77, flags: SYN, destinationPort: 81 });
    peer.send({ seq: 90, ack: 1234, flags: ACK, destinationPort: 81 });
    peer.send({ seq: 90, flags: RST, destinationPort: 81 });
    const [first, second, third] = peer.take();
    expect(flagNames(first.flags)).toBe("RST|ACK");
    expect(first).toMatchObject({ seq: 0, ack: 78 });
    expect(flagNames(second.flags)).toBe("RST");
    expect(second.seq).toBe(1234);
    expect(third).toBeUndefined();
    expect(peer.stack.counters.tcp.resetsOut).toBe(2);
  });

  it("connects, exchanges data both ways and closes gracefully through TIME_WAIT", async () => {
    const { client, server, runUntil, scheduler } = tcpPair({ timeWaitMs: 1000 });
    const received: string[] = [];
    let serverSide: TcpConnection | null = null;
    server.tcp.listen(7, (connection) => {
      serverSide = connection;
      connection.onData((chunk) => {
        received.push(decode(chunk));
        void connection.write(chunk);
      });
      connection.onEnd(() => connection.end());
    });
    const opening = client.tcp.connect("10.0.2.2", 7);
    let connection: TcpConnection | null = null;
    void opening.then((c) => (connection = c));
    await runUntil(() => connection !== null);
    const conn = connection as unknown as TcpConnection;
    expect(conn.state).toBe("ESTABLISHED");
    await conn.write("hello");
    const echoed: string[] = [];
    const reading = (async () => {
      for await (const chunk of conn) echoed.push(decode(chunk));
    })();
    await runUntil(() => echoed.length > 0);
    expect(echoed).toEqual(["hello"]);
    let closed = false;
    conn.onClose(() => (closed = true));
    conn.end();
    await runUntil(() => closed);
    await reading;
    expect(received).toEqual(["hello"]);
    expect(conn.state).toBe("TIME_WAIT");
    expect((serverSide as unknown as TcpConnection).state).toBe("CLOSED");
    expect(client.tcp.connections).toBe(1);
    await scheduler.advance(1000);
    expect(conn.state).toBe("CLOSED");
    expect(client.tcp.connections).toBe(0);
    expect(server.tcp.connections).toBe(0);
  });

  it("rejects connect() with 'refused' when the port is closed", async () => {
    const { client, runUntil } = tcpPair();
    let error: unknown = null;
    client.tcp.connect("10.0.2.2", 9).catch((e: unknown) => (error = e));
    await runUntil(() => error !== null);
    expect(error).toMatchObject({ code: "refused" });
    expect(client.tcp.connections).toBe(0);
  });

  it("opens actively against a scripted peer with data on the final ACK", async () => {
    const peer = new ScriptedPeer();
    const opening = peer.tcp.connect("10.0.2.9", 80);
    await peer.settle();
    const [syn] = peer.take();
    expect(flagNames(syn.flags)).toBe("SYN");
    expect(syn).toMatchObject({ seq: 1000, mss: 1460, windowScale: 1 });
    const port = syn.sourcePort;
    expect(port).toBeGreaterThanOrEqual(49152);
    peer.send({ sourcePort: 80, destinationPort: port, seq: 9000, ack: 1001, flags: SYN | ACK, options: mssOption(500) });
    const connection = await opening;
    const [ack] = peer.take();
    expect(flagNames(ack.flags)).toBe("ACK");
    expect(ack).toMatchObject({ seq: 1001, ack: 9001 });
    await connection.write(new Uint8Array(1200));
    await peer.settle();
    // The peer's MSS (500) bounds our segments; no scaling since the peer did not offer it.
    expect(peer.take().map((s) => [s.seq, s.data.length, flagNames(s.flags)])).toEqual([
      [1001, 500, "ACK"],
      [1501, 500, "ACK"],
      [2001, 200, "PSH|ACK"],
    ]);
    peer.send({ sourcePort: 80, destinationPort: port, seq: 9001, ack: 2201, flags: FIN | ACK | PSH, data: text("bye") });
    const chunks: string[] = [];
    for await (const chunk of connection) chunks.push(decode(chunk));
    expect(chunks).toEqual(["bye"]);
    expect(connection.state).toBe("CLOSE_WAIT");
    const [finAck] = peer.take();
    expect(finAck).toMatchObject({ ack: 9005 });
    connection.end();
    await peer.settle();
    const [fin] = peer.take();
    expect(flagNames(fin.flags)).toBe("FIN|ACK");
    expect(connection.state).toBe("LAST_ACK");
    peer.send({ sourcePort: 80, destinationPort: port, seq: 9005, ack: fin.seq + 1, flags: ACK });
    expect(connection.state).toBe("CLOSED");
  });
});
