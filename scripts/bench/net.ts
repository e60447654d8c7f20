// Network figures for the virtio-net driver, host <-> guest through QEMU:
//   user networking + hostfwd: UDP echo round trips per second (one in flight) and MB/s of large
//   datagrams (a window in flight), against the nettest image's UDP echo;
//   -netdev socket,udp=: Ethernet frames per second reflected by the guest driver (no stack).
// The hostfwd run is repeated with event_idx=off; each prints the interrupts the guest took and the
// notifications it sent per frame over the whole run (from the counters it prints on exit).
// Rates are measured once per run; nothing asserts on time.
import { createSocket, type Socket } from "node:dgram";
import { boot, type BootResult } from "../lib/qemu";
import { buildApps } from "../lib/build-apps";

const LOCALHOST = "127.0.0.1";
const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const HOST_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const EXPERIMENTAL_ETHERTYPE = 0x88b5;
const BOOT_TIMEOUT_MS = 300_000;
const READY_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 60_000;
const RETRANSMIT_MS = 200;
const ROUND_TRIPS = 2000;
const SMALL_PAYLOAD = 64;
const LARGE_PAYLOAD = 1472;
const FRAGMENTED_PAYLOAD = 8192;
const LARGE_DATAGRAMS = 4000;
const FRAGMENTED_DATAGRAMS = 1000;
const DATAGRAM_WINDOW = 8;
const FRAMES = 20_000;
const FRAME_SIZE = 64;
const FRAME_WINDOW = 64;
const BYTES_PER_MB = 1e6;

interface Run {
  ms: number;
  /** Messages sent again after RETRANSMIT_MS without an answer. */
  resent: number;
}

interface Guest {
  result: Promise<BootResult>;
  output: () => string;
}

function bindUdp(port = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.on("error", reject);
    socket.bind(port, LOCALHOST, () => resolve(socket));
  });
}

async function freeUdpPort(): Promise<number> {
  const probe = await bindUdp();
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function startGuest(append: string, netdev: string, device = ""): Guest {
  let output = "";
  const result = boot({
    app: "nettest",
    append,
    timeoutMs: BOOT_TIMEOUT_MS,
    onOutput: (text) => {
      output += text;
    },
    qemuArgs: ["-netdev", netdev, "-device", `virtio-net-pci,netdev=n0,mac=${GUEST_MAC.map((b) => b.toString(16).padStart(2, "0")).join(":")}${device}`],
  });
  return { result, output: () => output };
}

async function waitForLine(guest: Guest, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!pattern.test(guest.output())) {
    if (Date.now() > deadline) throw new Error(`guest never printed ${pattern}:\n${guest.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Sends `count` messages with at most `window` unanswered, matching replies by the 32-bit sequence
 * number at `seqOffset`; resends what stays unanswered.
 */
function windowed(socket: Socket, port: number, count: number, window: number, make: (seq: number) => Buffer, seqOffset: number): Promise<Run> {
  const outstanding = new Map<number, number>();
  let next = 0;
  let done = 0;
  let resent = 0;
  const started = performance.now();
  const send = (seq: number) => {
    outstanding.set(seq, Date.now());
    socket.send(make(seq), port, LOCALHOST);
  };
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearInterval(timer);
      socket.off("message", onMessage);
      if (error) reject(error);
      else resolve({ ms: performance.now() - started, resent });
    };
    const onMessage = (message: Buffer) => {
      if (message.length < seqOffset + 4 || !outstanding.delete(message.readUInt32BE(seqOffset))) return;
      done++;
      while (next < count && outstanding.size < window) send(next++);
      if (done === count) finish();
    };
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    const timer = setInterval(() => {
      if (Date.now() > deadline) return finish(new Error(`${count - done} of ${count} unanswered`));
      for (const [seq, sentAt] of outstanding) if (Date.now() - sentAt > RETRANSMIT_MS) {
          resent++;
          send(seq);
        }
    }, RETRANSMIT_MS / 2);
    socket.on("message", onMessage);
    while (next < count && outstanding.size < window) send(next++);
  });
}

function rate(count: number, run: Run): string {
  return ((count / run.ms) * 1000).toFixed(0);
}

function resentNote(run: Run): string {
  return run.resent > 0 ? ` (${run.resent} resent after ${RETRANSMIT_MS} ms)` : "";
}

function datagram(size: number): (seq: number) => Buffer {
  const data = Buffer.alloc(size, 0x5a);
  return (seq) => {
    data.writeUInt32BE(seq, 0);
    return Buffer.from(data);
  };
}

/** Interrupts and notifications per frame, from the counters the guest prints on "!exit". */
function perFrame(label: string, output: string): void {
  const counters = /^nettest: counters (\{.*\})$/m.exec(output);
  const interrupts = /^nettest: interrupts (\S+) (\{.*\})$/m.exec(output);
  if (counters === null || interrupts === null) throw new Error(`no counters from the guest:\n${output}`);
  const c = JSON.parse(counters[1]) as { rxFrames: number; txFrames: number; txKicks: number };
  const taken = (JSON.parse(interrupts[2]) as { interrupts: number }).interrupts;
  const frames = c.rxFrames + c.txFrames;
  console.log(
    `net: ${label} (${interrupts[1]}): ${frames} frames, ${(taken / frames).toFixed(3)} interrupts and ` +
      `${(c.txKicks / c.txFrames).toFixed(3)} tx notifications per frame`,
  );
}

async function benchHostfwd(label: string, device: string): Promise<void> {
  const guestPort = await freeUdpPort();
  const socket = await bindUdp();
  const guest = startGuest("ip=10.0.2.15/24 gw=10.0.2.2 echo=7", `user,id=n0,hostfwd=udp:${LOCALHOST}:${guestPort}-:7`, device);
  try {
    await waitForLine(guest, /^nettest: echo on 7$/m);
    await windowed(socket, guestPort, 100, 1, datagram(SMALL_PAYLOAD), 0);
    const rtt = await windowed(socket, guestPort, ROUND_TRIPS, 1, datagram(SMALL_PAYLOAD), 0);
    console.log(`net: UDP echo via hostfwd, ${SMALL_PAYLOAD}-byte datagrams, one in flight: ${rate(ROUND_TRIPS, rtt)} round trips/s (${((rtt.ms * 1000) / ROUND_TRIPS).toFixed(0)} us each)${resentNote(rtt)}`);
    for (const [size, count] of [[LARGE_PAYLOAD, LARGE_DATAGRAMS], [FRAGMENTED_PAYLOAD, FRAGMENTED_DATAGRAMS]]) {
      const run = await windowed(socket, guestPort, count, DATAGRAM_WINDOW, datagram(size), 0);
      const mbEachWay = (count * size) / BYTES_PER_MB / (run.ms / 1000);
      console.log(`net: UDP echo via hostfwd, ${size}-byte datagrams, ${DATAGRAM_WINDOW} in flight: ${rate(count, run)} datagrams/s, ${mbEachWay.toFixed(2)} MB/s each way${resentNote(run)}`);
    }
    await windowed(socket, guestPort, 1, 1, () => Buffer.from("!exit"), 0).catch(() => undefined);
  } finally {
    socket.close();
  }
  perFrame(label, (await guest.result).output);
}

/** Frames reflected with a window in flight; without a `label` (the plain net run) also one at a time. */
async function benchSocketNetdev(label = "", device = ""): Promise<void> {
  const host = await bindUdp();
  const qemuPort = await freeUdpPort();
  const guest = startGuest("mode=reflect", `socket,id=n0,udp=${LOCALHOST}:${host.address().port},localaddr=${LOCALHOST}:${qemuPort}`, device);
  const frame = Buffer.alloc(FRAME_SIZE);
  Buffer.from([...GUEST_MAC, ...HOST_MAC, EXPERIMENTAL_ETHERTYPE >> 8, EXPERIMENTAL_ETHERTYPE & 0xff]).copy(frame);
  const seqOffset = 14;
  const make = (seq: number) => {
    frame.writeUInt32BE(seq, seqOffset);
    return Buffer.from(frame);
  };
  try {
    await waitForLine(guest, /^nettest: reflecting$/m);
    await windowed(host, qemuPort, 200, FRAME_WINDOW, make, seqOffset);
    const run = await windowed(host, qemuPort, FRAMES, FRAME_WINDOW, make, seqOffset);
    console.log(`net: ${label}${FRAME_SIZE}-byte Ethernet frames via -netdev socket,udp=, reflected by the driver, ${FRAME_WINDOW} in flight: ${rate(FRAMES, run)} frames/s each way${resentNote(run)}`);
    if (label !== "") return;
    const oneByOne = await windowed(host, qemuPort, ROUND_TRIPS, 1, make, seqOffset);
    console.log(`net: same, one in flight: ${rate(ROUND_TRIPS, oneByOne)} round trips/s${resentNote(oneByOne)}`);
  } finally {
    host.close();
    void guest.result.catch(() => undefined);
  }
}

/** Split and packed rings reflecting frames, alternating, so that the two are compared in one run. */
const RING_LAYOUTS: readonly [string, string][] = [
  ["split ring: ", ",disable-legacy=on"],
  ["packed ring: ", ",disable-legacy=on,packed=on"],
];
const RING_ROUNDS = 2;

export async function benchNetRings(): Promise<void> {
  await buildApps(["nettest"]);
  for (let round = 1; round <= RING_ROUNDS; round++) {
    for (const [label, device] of RING_LAYOUTS) await benchSocketNetdev(`${label}(round ${round}) `, device);
  }
}

export async function benchNet(): Promise<void> {
  await buildApps(["nettest"]);
  await benchHostfwd("hostfwd echo, event-idx", "");
  await benchHostfwd("hostfwd echo, no event-idx", ",event_idx=off");
  await benchSocketNetdev();
}
