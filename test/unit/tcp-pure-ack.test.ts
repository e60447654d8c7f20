// The pure-ACK receive path: in-order ACKs of new data take a shortcut through receive(), which
// must leave the connection exactly as the general path would.
import { describe, expect, it } from "vitest";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { tcpPair } from "../tcp/pair";

const BYTES = 200_000;
/** Every few segments a loss, so ACKs of new data mix with duplicates and retransmissions. */
const LOSS_EVERY = 37;

interface Trace {
  readonly frames: number[][];
  readonly received: number;
  readonly state: unknown;
  readonly shortcuts: number;
}

/** A transfer from server to client with losses; `general` turns the shortcut off. */
async function run(general: boolean): Promise<Trace> {
  const pair = tcpPair();
  const { client, server, runUntil } = pair;
  const frames: number[][] = [];
  let count = 0;
  server.link.filter = (_segment, frame) => {
    frames.push(Array.from(frame));
    return ++count % LOSS_EVERY === 0 ? "drop" : "deliver";
  };
  let sender: TcpConnection | null = null;
  let shortcuts = 0;
  server.stack.tcp.listen(80, (connection) => {
    sender = connection;
    const internals = connection as unknown as { isPureAck(segment: unknown): boolean };
    const isPureAck = internals.isPureAck.bind(connection);
    internals.isPureAck = (segment) => {
      const pure = !general && isPureAck(segment);
      if (pure) shortcuts++;
      return pure;
    };
    void connection.write(Uint8Array.from({ length: BYTES }, (_, i) => i & 0xff));
  });
  let received = 0;
  void client.stack.tcp.connect("10.0.2.2", 80).then((connection) => connection.onData((chunk) => (received += chunk.length)));
  await runUntil(() => received >= BYTES);
  const { snd, rcv, congestion, clock } = sender as unknown as Record<string, unknown>;
  return { frames, received, state: JSON.parse(JSON.stringify({ snd, rcv, congestion, clock, state: (sender as unknown as TcpConnection).state })), shortcuts };
}

describe("the pure-ACK receive path", () => {
  it("sends the same segments and leaves the same state as the general path", async () => {
    const fast = await run(false);
    const general = await run(true);
    expect(fast.received).toBe(BYTES);
    expect(fast.shortcuts).toBeGreaterThan(20);
    expect(general.shortcuts).toBe(0);
    expect(fast.frames.length).toBe(general.frames.length);
    expect(fast.frames).toEqual(general.frames);
    expect(fast.state).toEqual(general.state);
  });
});
