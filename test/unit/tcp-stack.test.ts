import { describe, expect, it } from "vitest";
import { checksumValid, finishChecksum, pseudoHeaderSum, sumBytes } from "../../runtime/net/checksum";
import { NetError } from "../../runtime/net/errors";
import { IPV4_PAYLOAD_OFFSET } from "../../runtime/net/ipv4";
import { PROTOCOL_TCP } from "../../runtime/net/ipv4-header";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { establish } from "../tcp/established";
import { tcpPair } from "../tcp/pair";
import { PEER, US } from "../tcp/scripted-peer";
import { ACK, FIN, SYN, flagNames, mssOption } from "../tcp/segments";

describe("tcp as part of the stack", () => {
  it("fails connect() to a closed port with a NetError 'refused'", async () => {
    const { client, runUntil } = tcpPair();
    let error: unknown = null;
    client.stack.tcp.connect("10.0.2.2", 9).catch((e: unknown) => (error = e));
    await runUntil(() => error !== null);
    expect(error).toBeInstanceOf(NetError);
    expect(error).toMatchObject({ code: "refused" });
  });

  it("counts segments, resets and open connections in the stack's counters", async () => {
    const { client, server, runUntil } = tcpPair();
    let accepted: TcpConnection | null = null;
    server.stack.tcp.listen(7, (connection) => (accepted = connection));
    let opened: TcpConnection | null = null;
    void client.stack.tcp.connect("10.0.2.2", 7).then((connection) => (opened = connection));
    await runUntil(() => opened !== null && accepted !== null);
    expect(client.stack.counters.tcp).toMatchObject({ connections: 1, activeOpens: 1 });
    expect(server.stack.counters.tcp).toMatchObject({ connections: 1, passiveOpens: 1 });
    (opened as unknown as TcpConnection).abort();
    await runUntil(() => server.stack.counters.tcp.connections === 0);
    expect(client.stack.counters.tcp).toMatchObject({ connections: 0, resetsOut: 1 });
    expect(server.stack.counters.tcp.resetsIn).toBe(1);
    const printed = JSON.parse(JSON.stringify(server.stack.counters));
    expect(printed.tcp.segmentsIn).toBe(server.stack.counters.tcp.segmentsIn);
    expect(printed.rxFrames).toBeGreaterThan(0);
    expect(printed.drops["tcp.noConnection"]).toBe(0);
  });

  it("hands segments to an offloading link with the pseudo-header sum the device completes", async () => {
    const { peer, connection } = establish();
    peer.host.link.checksumOffload = true;
    await connection.write("offloaded");
    await peer.settle();
    const [sent] = peer.host.link.takeSent();
    expect(sent.offload).toEqual({ start: IPV4_PAYLOAD_OFFSET, offset: 16 });
    const { frame } = sent;
    const length = frame.length - IPV4_PAYLOAD_OFFSET;
    const field = IPV4_PAYLOAD_OFFSET + 16;
    // What the device does: sum the segment, seeded with the field's pseudo-header sum, and store the complement.
    const completed = finishChecksum(sumBytes(frame, IPV4_PAYLOAD_OFFSET, length));
    frame[field] = completed >>> 8;
    frame[field + 1] = completed & 0xff;
    expect(checksumValid(frame, IPV4_PAYLOAD_OFFSET, length, pseudoHeaderSum(US, PEER, PROTOCOL_TCP, length))).toBe(true);
  });

  it("ends TIME_WAIT for a new SYN beyond the old sequence space and opens a new connection", async () => {
    const { peer, connection, ours, theirs } = establish({ timeWaitMs: 60_000 });
    connection.close();
    await peer.settle();
    peer.take();
    peer.send({ seq: theirs, ack: ours + 1, flags: FIN | ACK });
    expect(connection.state).toBe("TIME_WAIT");
    peer.take();
    const newIsn = theirs + 100_000;
    peer.send({ seq: newIsn, flags: SYN, options: mssOption(1000) });
    const [synAck] = peer.take();
    expect(flagNames(synAck.flags)).toBe("SYN|ACK");
    expect(synAck.ack).toBe(newIsn + 1);
    expect(connection.state).toBe("CLOSED");
    peer.send({ seq: newIsn + 1, ack: synAck.seq + 1, flags: ACK });
    expect(peer.stack.counters.tcp).toMatchObject({ passiveOpens: 2, connections: 1 });
  });

  it("answers an old SYN in TIME_WAIT with an ACK and stays there", async () => {
    const { peer, connection, ours, theirs } = establish({ timeWaitMs: 60_000 });
    connection.close();
    await peer.settle();
    peer.take();
    peer.send({ seq: theirs, ack: ours + 1, flags: FIN | ACK });
    peer.take();
    peer.send({ seq: theirs - 10, flags: SYN, options: mssOption(1000) });
    expect(peer.take().map((s) => flagNames(s.flags))).toEqual(["ACK"]);
    expect(connection.state).toBe("TIME_WAIT");
  });
});
