import { describe, expect, it } from "vitest";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { Deadline } from "../../runtime/net/tcp/deadline";
import { ManualScheduler } from "../net/manual-scheduler";
import { tcpPair } from "../tcp/pair";

function counted() {
  const scheduler = new ManualScheduler();
  let set = 0;
  let cleared = 0;
  const setTimer = scheduler.setTimer.bind(scheduler);
  const clearTimer = scheduler.clearTimer.bind(scheduler);
  scheduler.setTimer = (delayMs, callback) => (set++, setTimer(delayMs, callback));
  scheduler.clearTimer = (handle) => (cleared++, clearTimer(handle));
  let expired = 0;
  const deadline = new Deadline(scheduler, () => expired++);
  return { scheduler, deadline, counts: () => ({ set, cleared, expired }) };
}

describe("tcp deadline", () => {
  it("leaves a stopped timer armed but released, and a restart reuses and holds it", async () => {
    const { scheduler, deadline, counts } = counted();
    deadline.start(100);
    deadline.stop();
    expect(deadline.pending).toBe(false);
    expect(scheduler.pendingTimers).toBe(1);
    expect(scheduler.heldTimers).toBe(0);

    await scheduler.advance(50);
    deadline.start(100);
    expect(scheduler.heldTimers).toBe(1);
    expect(counts()).toEqual({ set: 1, cleared: 0, expired: 0 });
    // The reused timer fires at 100 ms, early for the new deadline (150 ms), and re-arms.
    await scheduler.advance(99);
    expect(counts()).toEqual({ set: 2, cleared: 0, expired: 0 });
    await scheduler.advance(1);
    expect(counts()).toEqual({ set: 2, cleared: 0, expired: 1 });
    expect(scheduler.pendingTimers).toBe(0);
  });

  it("never expires while stopped, even when its released timer fires", async () => {
    const { scheduler, deadline, counts } = counted();
    deadline.start(10);
    deadline.stop();
    await scheduler.advance(1000);
    expect(counts().expired).toBe(0);
    expect(scheduler.pendingTimers).toBe(0);
    // With nothing armed any more, a start arms afresh.
    deadline.start(10);
    await scheduler.advance(10);
    expect(counts()).toEqual({ set: 2, cleared: 0, expired: 1 });
  });

  it("re-arms when started sooner than the armed timer, and cancel disarms", async () => {
    const { scheduler, deadline, counts } = counted();
    deadline.start(1000);
    deadline.stop();
    deadline.start(10);
    expect(counts()).toEqual({ set: 2, cleared: 1, expired: 0 });
    deadline.cancel();
    expect(scheduler.pendingTimers).toBe(0);
    expect(deadline.pending).toBe(false);
    await scheduler.advance(2000);
    expect(counts().expired).toBe(0);
  });

  it("leaves no timer armed once a connection has closed and left TIME_WAIT", async () => {
    const pair = tcpPair({ timeWaitMs: 1000 });
    let server: TcpConnection | null = null;
    pair.server.tcp.listen(80, (connection) => {
      server = connection;
      connection.onData(() => undefined);
      connection.onEnd(() => connection.end());
    });
    let client: TcpConnection | null = null;
    void pair.client.tcp.connect("10.0.2.2", 80).then((c) => (client = c));
    await pair.runUntil(() => client !== null && server !== null);
    const connection = client as unknown as TcpConnection;
    await connection.write(new Uint8Array(3000));
    connection.end();
    const peer = (): TcpConnection => server as unknown as TcpConnection;
    // The server closes last-ACK first; the client waits in TIME_WAIT on its linger timer alone.
    await pair.runUntil(() => peer().state === "CLOSED");
    expect(connection.state).toBe("TIME_WAIT");
    expect(pair.scheduler.pendingTimers).toBe(1);
    await pair.runUntil(() => connection.state === "CLOSED", 10_000, 10);
    expect(connection.state).toBe("CLOSED");
    expect(pair.scheduler.pendingTimers).toBe(0);
  });
});
