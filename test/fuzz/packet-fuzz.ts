/**
 * Packet fuzzing: real protocol exchanges between simulated stacks (HTTP and UDP from a client,
 * DNS answers to the target's resolver, DHCP between a client and a server) with frames damaged
 * on the wire by `mutateFrame`, plus frames an attacker makes up (fragments, ARP, stray TCP,
 * ICMP). Invariants: nothing throws out of the stacks, no promise rejects unhandled, tables
 * stay within their bounds, and every so often a clean HTTP request, UDP echo and DNS lookup
 * still succeed. Seeded: a seed and a packet count reproduce a run exactly.
 */
import { serve } from "../../runtime/http/server";
import { Response } from "../../runtime/http/response";
import { DEFAULT_TCP_OPTIONS } from "../../runtime/net/tcp/config";
import { NetStack } from "../../runtime/net/stack";
import { ScriptedDhcpServer } from "../net/dhcp-server";
import { A, ScriptedDnsServer, addressBytes, pointer, record, response, QUESTION_NAME_OFFSET } from "../net/dns-server";
import { staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { arpPacket, ethernet, icmpMessage, ip, ipv4Packet, udpSegment } from "../net/packets";
import { seededRandom } from "../net/seeded-random";
import { SimLink, mac } from "../net/sim-link";
import { ACK, FIN, PSH, RST, SYN, mssOption, tcpSegment, windowScaleOption } from "../tcp/segments";
import { mutateFrame } from "./mutate-frame";
import { Prng } from "./prng";

export interface PacketFuzzOptions {
  readonly seed: number;
  /** Frames delivered to the target stacks (damaged, made up, or clean). */
  readonly packets: number;
  /** Clean requests every this many packets (default 2,000). */
  readonly cleanCheckEvery?: number;
  /** Share of wire frames damaged (default 0.3). */
  readonly mutationRate?: number;
}

export interface PacketFuzzFailure {
  readonly seed: number;
  /** Packets delivered before the failure: `--packets` one more than this reproduces it. */
  readonly packet: number;
  readonly kind: "exception" | "unhandled-rejection" | "bound" | "clean-request";
  readonly detail: string;
  /** The frame being delivered, hex, when one was. */
  readonly frame?: string;
}

export interface PacketFuzzReport {
  readonly seed: number;
  readonly packets: number;
  readonly mutated: number;
  readonly madeUp: number;
  readonly cleanChecks: number;
  readonly failures: PacketFuzzFailure[];
}

const SERVER = "10.0.2.2";
const CLIENT = "10.0.2.15";
const ATTACKER = ip("10.0.2.9");
const ATTACKER_MAC = mac(9);
const HTTP_PORT = 80;
const ECHO_PORT = 7;
const CLEAN_DEADLINE_MS = 10_000;
const MAX_CLIENT_ACTIVITIES = 8;
const MAX_FAILURES = 20;

const REQUESTS = [
  "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /a?b=c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "POST /kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
  "PUT /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n",
  "GET / HTTP/1.0\r\n\r\nGET /again HTTP/1.1\r\nHost: y\r\n\r\n",
  "HEAD / HTTP/1.1\r\nHost: x\r\nX-Long: " + "a".repeat(2000) + "\r\n\r\n",
];

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function makeStack(scheduler: ManualScheduler, last: number, seed: number): { stack: NetStack; link: SimLink } {
  const link = new SimLink(mac(last), scheduler);
  const stack = new NetStack({ link, scheduler, random: seededRandom(seed) });
  return { stack, link };
}

export async function runPacketFuzz(options: PacketFuzzOptions): Promise<PacketFuzzReport> {
  const random = new Prng(options.seed);
  const mutationRate = options.mutationRate ?? 0.3;
  const cleanEvery = options.cleanCheckEvery ?? 2000;
  const scheduler = new ManualScheduler();
  const failures: PacketFuzzFailure[] = [];
  let packets = 0;
  let mutated = 0;
  let madeUp = 0;
  let cleanChecks = 0;
  let damaging = true;
  let current: Uint8Array | undefined;
  const fail = (kind: PacketFuzzFailure["kind"], detail: string): void => {
    if (failures.length < MAX_FAILURES) failures.push({ seed: options.seed, packet: packets, kind, detail, frame: current && hex(current) });
  };
  const onRejection = (reason: unknown): void => fail("unhandled-rejection", reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  process.on("unhandledRejection", onRejection);

  // The target: HTTP on 80, UDP echo on 7, a resolver asking the client.
  const server = makeStack(scheduler, 0x02, 2);
  server.stack.configureStatic(staticConfig(SERVER, SERVER, [CLIENT]));
  serve(server.stack, {
    port: HTTP_PORT,
    fetch: async (request) => new Response(`ok ${(await request.arrayBuffer()).byteLength}`),
    limits: { idleTimeoutMs: 2000, sendTimeoutMs: 2000 },
  });
  const echo = server.stack.udp.bind(ECHO_PORT);
  echo.onMessage((message) => void echo.send(message.address, message.port, message.data));
  // The client: legitimate traffic, and the DNS server the target asks.
  const client = makeStack(scheduler, 0x15, 15);
  client.stack.configureStatic(staticConfig(CLIENT, SERVER));
  const dns = new ScriptedDnsServer(client.stack, () => scheduler.now());
  dns.script = (query) => response(query, { answers: [record(pointer(QUESTION_NAME_OFFSET), A, 60, addressBytes(ip("10.0.2.77")))] });
  // DHCP: a client stack and a server stack on a wire of their own.
  const dhcpClient = makeStack(scheduler, 0x33, 33);
  const dhcpServer = makeStack(scheduler, 0x44, 44);
  dhcpServer.stack.configureStatic(staticConfig(SERVER));
  new ScriptedDhcpServer(dhcpServer.stack, () => scheduler.now()).leaseSeconds = 30;
  dhcpClient.stack.configureDhcp().catch(() => undefined);

  const deliver = (to: SimLink, frame: Uint8Array): void => {
    current = frame;
    packets++;
    try {
      to.inject(frame);
    } catch (error) {
      fail("exception", error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    current = undefined;
  };
  /** Frames on the wire: toward a target they may be damaged; back toward the peers they are not. */
  const pump = (from: SimLink, to: SimLink, target: boolean): void => {
    for (const { frame } of from.takeSent()) {
      if (!target) {
        to.inject(frame);
        continue;
      }
      const damage = damaging && random.chance(mutationRate);
      if (damage) mutated++;
      deliver(to, damage ? mutateFrame(frame, random) : frame);
    }
  };
  const pumpAll = (): void => {
    pump(client.link, server.link, true);
    pump(server.link, client.link, false);
    pump(dhcpServer.link, dhcpClient.link, true);
    pump(dhcpClient.link, dhcpServer.link, false);
  };
  const step = async (ms: number): Promise<void> => {
    try {
      await scheduler.advance(ms);
    } catch (error) {
      fail("exception", `from a timer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    pumpAll();
  };

  let activities = 0;
  const httpExchange = async (request: string): Promise<string> => {
    const connection = await client.stack.tcp.connect(SERVER, HTTP_PORT);
    const deadline = scheduler.setTimer(CLEAN_DEADLINE_MS, () => connection.abort());
    let text = "";
    try {
      await connection.write(request);
      for (let chunk = await connection.read(); chunk !== null; chunk = await connection.read()) {
        text += String.fromCharCode(...chunk);
        if (/\r\n\r\nok \d+$/.test(text)) break;
      }
    } finally {
      scheduler.clearTimer(deadline);
      connection.close();
    }
    return text;
  };
  const startActivity = (): void => {
    if (activities >= MAX_CLIENT_ACTIVITIES) return;
    activities++;
    const done = (): void => void activities--;
    switch (random.below(4)) {
      case 0:
      case 1:
        httpExchange(random.pick(REQUESTS)).catch(() => undefined).finally(done);
        return;
      case 2: {
        const socket = client.stack.udp.bind();
        socket.send(SERVER, ECHO_PORT, random.bytes(1 + random.below(1400)));
        scheduler.setTimer(100, () => {
          socket.close();
          done();
        });
        return;
      }
      default:
        server.stack.resolve(`n${random.below(1000)}.test`).catch(() => undefined).finally(done);
    }
  };
  const madeUpFrame = (): Uint8Array => {
    const to = mac(0x02);
    const server32 = ip(SERVER);
    switch (random.below(5)) {
      case 0:
        return ethernet(to, ATTACKER_MAC, 0x0806, arpPacket(1 + random.below(2), ATTACKER_MAC, random.chance(0.5) ? ATTACKER : random.next(), to, server32));
      case 1: {
        const payload = random.bytes(8 * (1 + random.below(64)));
        return ethernet(to, ATTACKER_MAC, 0x0800, ipv4Packet({ source: ATTACKER, destination: server32, protocol: 17, payload, id: random.below(8), moreFragments: random.chance(0.7), fragmentOffset: 8 * random.below(8192) }));
      }
      case 2: {
        const flags = random.pick([SYN, ACK, SYN | ACK, FIN | ACK, RST, PSH | ACK, random.below(256)]);
        const options = random.pick([[], mssOption(random.below(0x10000)), [...mssOption(1460), ...windowScaleOption(random.below(20))], Array.from(random.bytes(random.below(40)))]);
        const segment = tcpSegment(ATTACKER, server32, { sourcePort: 1024 + random.below(60000), destinationPort: random.chance(0.8) ? HTTP_PORT : random.below(0x10000), seq: random.next(), ack: random.next(), flags, window: random.below(0x10000), options, data: random.bytes(random.below(64)) });
        return ethernet(to, ATTACKER_MAC, 0x0800, ipv4Packet({ source: ATTACKER, destination: server32, protocol: 6, payload: segment }));
      }
      case 3:
        return ethernet(to, ATTACKER_MAC, 0x0800, ipv4Packet({ source: ATTACKER, destination: server32, protocol: 1, payload: icmpMessage(random.pick([0, 3, 8, 11, random.below(256)]), random.below(16), [0, 1, 0, 1], random.bytes(random.below(128))) }));
      default: {
        const udp = udpSegment({ source: ATTACKER, destination: server32, sourcePort: random.pick([53, 67, 68, random.below(0x10000)]), destinationPort: random.pick([ECHO_PORT, 53, 68, random.below(0x10000)]), data: random.bytes(random.below(600)) });
        return ethernet(to, ATTACKER_MAC, 0x0800, ipv4Packet({ source: ATTACKER, destination: server32, protocol: 17, payload: udp }));
      }
    }
  };
  const checkBounds = (): void => {
    const tcp = server.stack.tcp;
    if (tcp.connections > DEFAULT_TCP_OPTIONS.maxConnections + DEFAULT_TCP_OPTIONS.maxTimeWait) fail("bound", `${tcp.connections} TCP connections`);
    if (tcp.pendingHandshakes > DEFAULT_TCP_OPTIONS.maxPendingHandshakes) fail("bound", `${tcp.pendingHandshakes} half-open handshakes`);
  };
  const cleanCheck = async (): Promise<void> => {
    damaging = false;
    cleanChecks++;
    // A damaged ARP frame can teach the target a wrong address for the client, as it would a real
    // host until the entry expires; the client announces itself again, as a host does when its
    // link comes back.
    client.link.setLinkUp(false);
    client.link.setLinkUp(true);
    // Let the damaged exchanges settle or time out first.
    for (let i = 0; i < 50; i++) await step(100);
    let answer = "";
    void httpExchange("GET /clean HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").then((text) => (answer = text), (error: unknown) => (answer = `error ${String(error)}`));
    let echoed = false;
    const socket = client.stack.udp.bind();
    socket.onMessage(() => (echoed = true));
    socket.send(SERVER, ECHO_PORT, new Uint8Array([1, 2, 3]));
    let resolved = "";
    server.stack.resolve(`clean${cleanChecks}.test`).then((addresses) => (resolved = addresses.join(",")), (error: unknown) => (resolved = `error ${String(error)}`));
    for (let waited = 0; waited < CLEAN_DEADLINE_MS && (answer === "" || !echoed || resolved === ""); waited += 10) await step(10);
    socket.close();
    if (!/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok 0$/.test(answer)) fail("clean-request", `HTTP answer: ${JSON.stringify(answer.slice(0, 200))}`);
    if (!echoed) fail("clean-request", "no UDP echo");
    if (resolved !== String(ip("10.0.2.77"))) fail("clean-request", `DNS: ${resolved}`);
    damaging = true;
  };

  try {
    let nextClean = cleanEvery;
    while (packets < options.packets && failures.length < MAX_FAILURES) {
      if (random.chance(0.3)) startActivity();
      if (random.chance(0.4)) {
        madeUp++;
        deliver(server.link, madeUpFrame());
      }
      await step(random.below(20));
      checkBounds();
      if (packets >= nextClean) {
        await cleanCheck();
        nextClean = packets + cleanEvery;
      }
    }
    await cleanCheck();
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  return { seed: options.seed, packets, mutated, madeUp, cleanChecks, failures };
}
