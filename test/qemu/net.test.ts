// virtio-net on the real machine, through QEMU user networking: DHCP, ping, DNS error path, UDP
// echo through hostfwd (checked byte for byte), MAC_ADDR_SET and link changes seen in a pcap capture
// and on the QMP monitor. One boot runs every step, to keep QEMU time small.
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot, type BootResult } from "../../scripts/lib/qemu";
import { LINKTYPE_ETHERNET, readPcap } from "../net/pcap";
import { qmp } from "./lib/qmp";

const QEMU_MAC = "52:54:00:12:34:56";
const NEW_MAC = "02:00:00:aa:bb:cc";
const GUEST_IP = [10, 0, 2, 15];
const ECHO_DATAGRAMS = 1000;
const WINDOW = 8;
const RETRANSMIT_MS = 300;
const STEP_TIMEOUT_MS = 60_000;
const BOOT_TIMEOUT_MS = 180_000;
const NET_ERROR_CODES = ["timeout", "unreachable", "nxdomain", "serverFailure", "noData", "malformed", "noServer"];
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;

const dir = mkdtempSync(join(tmpdir(), "vireo-net-"));
const pcapPath = join(dir, "n0.pcap");
const qmpPath = join(dir, "qmp.sock");
let output = "";
let result: Promise<BootResult>;
let socket: Socket;
let hostPort = 0;

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createSocket("udp4");
    probe.on("error", reject);
    probe.bind(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(pattern: RegExp, timeoutMs = STEP_TIMEOUT_MS): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms in:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The datagram for sequence number `seq`: the number, then a pattern of a size that varies. */
function payload(seq: number): Buffer {
  const size = 4 + ((seq * 37) % 1400);
  const data = Buffer.alloc(size);
  data.writeUInt32BE(seq, 0);
  for (let i = 4; i < size; i++) data[i] = (seq * 7 + i * 13) & 0xff;
  return data;
}

interface EchoStats {
  answered: number;
  corrupt: number;
  retransmits: number;
}

/** Sends `count` datagrams (at most WINDOW outstanding) and checks every echo byte for byte. */
function echo(first: number, count: number): Promise<EchoStats> {
  const stats: EchoStats = { answered: 0, corrupt: 0, retransmits: 0 };
  const outstanding = new Map<number, number>();
  let next = first;
  const end = first + count;
  const send = (seq: number) => {
    outstanding.set(seq, Date.now());
    socket.send(payload(seq), hostPort, "127.0.0.1");
  };
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearInterval(timer);
      socket.off("message", onMessage);
      if (error) reject(error);
      else resolve(stats);
    };
    const onMessage = (message: Buffer) => {
      if (message.length < 4) return void stats.corrupt++;
      const seq = message.readUInt32BE(0);
      if (!outstanding.has(seq)) return;
      outstanding.delete(seq);
      if (message.equals(payload(seq))) stats.answered++;
      else stats.corrupt++;
      while (next < end && outstanding.size < WINDOW) send(next++);
      if (outstanding.size === 0 && next === end) finish();
    };
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    const timer = setInterval(() => {
      if (Date.now() > deadline) return finish(new Error(`echo: ${outstanding.size} datagrams unanswered\n${output}`));
      for (const [seq, sentAt] of outstanding) {
        if (Date.now() - sentAt > RETRANSMIT_MS) {
          stats.retransmits++;
          send(seq);
        }
      }
    }, RETRANSMIT_MS / 2);
    socket.on("message", onMessage);
    while (next < end && outstanding.size < WINDOW) send(next++);
  });
}

/** Sends a "!command" datagram and waits for its echo. */
async function command(text: string): Promise<void> {
  const reply = new Promise<void>((resolve) => {
    const onMessage = (message: Buffer) => {
      if (message.toString() !== text) return;
      socket.off("message", onMessage);
      resolve();
    };
    socket.on("message", onMessage);
  });
  socket.send(Buffer.from(text), hostPort, "127.0.0.1");
  await reply;
}

const macText = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");

/** Whether a captured frame was sent by the guest (by its IPv4 or ARP sender address, or DHCP's 0.0.0.0). */
function fromGuest(frame: Uint8Array): boolean {
  const etherType = (frame[12] << 8) | frame[13];
  const sender = etherType === ETHERTYPE_IPV4 ? frame.subarray(26, 30) : etherType === ETHERTYPE_ARP ? frame.subarray(28, 32) : undefined;
  if (sender === undefined) return false;
  return GUEST_IP.every((b, i) => sender[i] === b) || sender.every((b) => b === 0);
}

beforeAll(async () => {
  hostPort = await freeUdpPort();
  socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  result = boot({
    app: "nettest",
    append: `ip=dhcp ping=10.0.2.2 resolve=vireo-test.invalid dns-timeout-ms=1000 echo=7 setmac=${NEW_MAC}`,
    timeoutMs: BOOT_TIMEOUT_MS,
    onOutput: (text) => {
      output += text;
    },
    qemuArgs: [
      "-netdev", `user,id=n0,hostfwd=udp:127.0.0.1:${hostPort}-:7`,
      "-device", `virtio-net-pci,netdev=n0,mac=${QEMU_MAC}`,
      "-object", `filter-dump,id=f0,netdev=n0,file=${pcapPath}`,
      "-qmp", `unix:${qmpPath},server=on,wait=off`,
    ],
  });
  await waitFor(/^nettest: echo on 7$/m);
});

afterAll(() => {
  socket?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("virtio-net in QEMU (user networking)", () => {
  it("leases 10.0.2.15 by DHCP with the MAC QEMU was given", () => {
    expect(output).toContain(`mac=${QEMU_MAC} mtu=1500 link=up`);
    expect(output).toMatch(/^nettest: address 10\.0\.2\.15 gateway 10\.0\.2\.2 dns 10\.0\.2\.3$/m);
  });

  it("pings the gateway", () => {
    expect(output).toMatch(/^nettest: ping 10\.0\.2\.2 ok [\d.]+ ms$/m);
  });

  it("resolves through QEMU's DNS, or (no outside network) reports a typed error without hanging", () => {
    const line = /^nettest: resolve vireo-test\.invalid (ok [\d.,]+|error (\w+) after (\d+) ms.*)$/m.exec(output);
    expect(line, output).not.toBeNull();
    if (line?.[2] !== undefined) {
      expect(NET_ERROR_CODES).toContain(line[2]);
      expect(Number(line[3])).toBeLessThan(2 * 1000 + 1000);
    }
  });

  it(`echoes ${ECHO_DATAGRAMS} datagrams from the host through hostfwd, none corrupted`, async () => {
    const stats = await echo(0, ECHO_DATAGRAMS);
    expect(stats.answered).toBe(ECHO_DATAGRAMS);
    expect(stats.corrupt).toBe(0);
  }, STEP_TIMEOUT_MS);

  it("switches to a new MAC (MAC_ADDR_SET) and keeps echoing", async () => {
    await command("!setmac");
    await waitFor(new RegExp(`^nettest: mac set ${NEW_MAC}$`, "m"));
    const stats = await echo(ECHO_DATAGRAMS, 50);
    expect(stats.answered).toBe(50);
    expect(stats.corrupt).toBe(0);
  }, STEP_TIMEOUT_MS);

  it("sees set_link off and on from the monitor", async () => {
    await qmp(qmpPath, [{ execute: "set_link", arguments: { name: "n0", up: false } }]);
    await waitFor(/^nettest: link down$/m);
    await qmp(qmpPath, [{ execute: "set_link", arguments: { name: "n0", up: true } }]);
    await waitFor(/^nettest: link up$/m);
    const stats = await echo(ECHO_DATAGRAMS + 50, 20);
    expect(stats.answered).toBe(20);
  }, STEP_TIMEOUT_MS);

  it("exits cleanly; the capture shows the guest's frames leaving with QEMU's MAC, then only the new one", async () => {
    await command("!exit");
    const finished = await result;
    expect(finished.status, finished.output).toBe(0);
    const pcap = readPcap(new Uint8Array(readFileSync(pcapPath)));
    expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
    const sources = pcap.frames.filter((f) => fromGuest(f.bytes)).map((f) => macText(f.bytes.subarray(6, 12)));
    const firstNew = sources.indexOf(NEW_MAC);
    expect(firstNew).toBeGreaterThan(0);
    expect(new Set(sources.slice(0, firstNew))).toEqual(new Set([QEMU_MAC]));
    expect(new Set(sources.slice(firstNew))).toEqual(new Set([NEW_MAC]));
    expect(sources.length).toBeGreaterThan(ECHO_DATAGRAMS);
  }, STEP_TIMEOUT_MS);
});
