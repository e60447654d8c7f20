// TCP throughput between two stacks back to back, under Node: `npx tsx test/tcp/bench-throughput.ts`.
// Time is virtual (timers fire as soon as the wire is idle), so the figure measures the stack's
// own per-byte and per-segment cost, with the link checksumming in software and with offload.
import type { ChecksumOffload, FrameHandler, NetLink, RxInfo } from "../../drivers/net-link";
import type { Scheduler, TimerHandle } from "../../runtime/net/scheduler";
import { NetStack } from "../../runtime/net/stack";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { staticConfig } from "../net/fixture";
import { seededRandom } from "../net/seeded-random";
import { mac } from "../net/sim-link";

const MIB = 1024 * 1024;
const TRANSFER_BYTES = 16 * MIB;
const WRITE_BYTES = 64 * 1024;
const PORT = 5001;
const RUNS = 7;

interface Timer {
  readonly due: number;
  readonly callback: () => void;
}

/** Virtual time: the pump moves the clock to the next timer whenever the wire is idle. */
class VirtualClock implements Scheduler {
  private time = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = { due: this.time + Math.max(0, delayMs), callback };
    this.timers.add(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as Timer);
  }

  holdTimer(): void {
    // Nothing waits for the machine to go idle here: the pump runs until the transfer is done.
  }

  /** Fires the earliest timer; false when none is set. */
  fireNext(): boolean {
    let next: Timer | null = null;
    for (const timer of this.timers) if (next === null || timer.due < next.due) next = timer;
    if (next === null) return false;
    this.timers.delete(next);
    this.time = Math.max(this.time, next.due);
    next.callback();
    return true;
  }
}

/** A wire that hands frames over when pumped; with offload, the receiver sees them as validated. */
class WireLink implements NetLink {
  readonly mtu = 1500;
  readonly linkUp = true;
  peer: WireLink | null = null;
  readonly inbox: { frame: Uint8Array; info: RxInfo }[] = [];
  private handler: FrameHandler | null = null;

  constructor(
    readonly mac: Uint8Array,
    readonly checksumOffload: boolean,
  ) {}

  transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    this.peer?.inbox.push({ frame, info: { checksumValidated: offload !== undefined } });
    return true;
  }

  allocateFrame(length: number): Uint8Array {
    return new Uint8Array(length);
  }

  transmitAllocated(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    return this.transmit(frame, offload);
  }

  onReceive(handler: FrameHandler): void {
    this.handler = handler;
  }

  onLinkChange(): void {}

  /** Delivers what arrived; false when nothing had. */
  deliver(): boolean {
    const frames = this.inbox.splice(0);
    for (const { frame, info } of frames) this.handler?.(frame, info);
    return frames.length > 0;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function measure(offload: boolean): Promise<number> {
  const clock = new VirtualClock();
  const make = (last: number, address: string) => {
    const link = new WireLink(mac(last), offload);
    const random = seededRandom(last);
    const stack = new NetStack({ link, scheduler: clock, random });
    stack.configureStatic(staticConfig(address));
    return { link, tcp: stack.tcp };
  };
  const client = make(0x15, "10.0.2.15");
  const server = make(0x02, "10.0.2.2");
  client.link.peer = server.link;
  server.link.peer = client.link;

  let received = 0;
  let done = false;
  server.tcp.listen(PORT, (connection) => {
    connection.onData((chunk) => (received += chunk.length));
    connection.onEnd(() => (done = true));
  });
  let connection: TcpConnection | null = null;
  void client.tcp.connect("10.0.2.2", PORT).then((opened) => (connection = opened));
  const pump = async (until: () => boolean): Promise<void> => {
    while (!until()) {
      await turn();
      const toServer = server.link.deliver();
      const toClient = client.link.deliver();
      if (!toServer && !toClient && !until()) clock.fireNext();
    }
  };
  await pump(() => connection !== null);
  const sender = connection as unknown as TcpConnection;
  const chunk = new Uint8Array(WRITE_BYTES).map((_, i) => i & 0xff);
  const started = performance.now();
  void (async () => {
    for (let sent = 0; sent < TRANSFER_BYTES; sent += WRITE_BYTES) await sender.write(chunk);
    sender.end();
  })();
  await pump(() => done);
  const seconds = (performance.now() - started) / 1000;
  if (received !== TRANSFER_BYTES) throw new Error(`received ${received} of ${TRANSFER_BYTES} bytes`);
  return TRANSFER_BYTES / MIB / seconds;
}

for (const offload of [false, true]) {
  // One untimed run lets the JIT settle.
  await measure(offload);
  const results: number[] = [];
  for (let run = 0; run < RUNS; run++) results.push(await measure(offload));
  const median = [...results].sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  console.log(`tcp 16 MiB, checksum ${offload ? "offloaded" : "in software"}: median ${median.toFixed(1)} MB/s (runs ${results.map((r) => r.toFixed(1)).join(", ")})`);
}
