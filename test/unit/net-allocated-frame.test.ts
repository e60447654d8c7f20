// Frames built in the link's transmit memory: TCP segments with copy-and-sum checksums, the heap
// fallback, and frames that must outlive the reused memory (ARP resolution).
import { describe, expect, it } from "vitest";
import { checksumValid, foldSum, pseudoHeaderSum, sumBytes } from "../../runtime/net/checksum";
import type { ChecksumOffload } from "../../drivers/net-link";
import { NetStack } from "../../runtime/net/stack";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { RingBuffer } from "../../runtime/net/tcp/ring-buffer";
import { staticConfig } from "../net/fixture";
import { ManualScheduler } from "../net/manual-scheduler";
import { seededRandom } from "../net/seeded-random";
import { SimLink, mac } from "../net/sim-link";
import { tcpPair } from "../tcp/pair";

const IPV4_START = 14;
const TCP_START = IPV4_START + 20;

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Sends `chunks` from client to server and returns what arrived. */
async function transfer(pair: ReturnType<typeof tcpPair>, chunks: Uint8Array[]): Promise<Uint8Array> {
  const { client, server, runUntil } = pair;
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const received: number[] = [];
  server.stack.tcp.listen(80, (connection) => connection.onData((chunk) => received.push(...chunk)));
  let opened: TcpConnection | null = null;
  void client.stack.tcp.connect("10.0.2.2", 80).then((connection) => (opened = connection));
  await runUntil(() => opened !== null);
  for (const chunk of chunks) void (opened as unknown as TcpConnection).write(chunk);
  await runUntil(() => received.length >= total);
  return Uint8Array.from(received);
}

describe("frames built in the link's transmit memory", () => {
  it("carries TCP data with correct checksums, the payload copied and summed in one pass", async () => {
    const pair = tcpPair({ sendBufferBytes: 4099 });
    // Odd-sized writes into an odd-sized send buffer: segments start mid-word where it wraps.
    const chunks = [pattern(1001, 1), pattern(3333, 2), pattern(5, 3), pattern(7777, 4)];
    const sentFrames: Uint8Array[] = [];
    pair.client.link.filter = (_segment, frame) => (sentFrames.push(frame.slice()), "deliver");
    const received = await transfer(pair, chunks);
    const expected = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    chunks.reduce((offset, chunk) => (expected.set(chunk, offset), offset + chunk.length), 0);
    expect(received).toEqual(expected);
    const segments = sentFrames.filter((f) => f[12] === 0x08 && f[13] === 0x00);
    // All but the SYN, which waited for ARP and went out as a copy.
    expect(pair.client.link.allocatedSent).toBe(segments.length - 1);
    for (const frame of segments) {
      const length = frame.length - TCP_START;
      expect(checksumValid(frame, TCP_START, length, pseudoHeaderSum(0x0a00020f, 0x0a000202, 6, length))).toBe(true);
    }
    expect(pair.server.stack.counters.drops["tcp.badChecksum"]).toBe(0);
  });

  it("falls back to heap frames when the link has no transmit memory free", async () => {
    const pair = tcpPair();
    pair.client.link.noTransmitMemory = true;
    pair.server.link.noTransmitMemory = true;
    const data = pattern(20_000, 9);
    expect(await transfer(pair, [data])).toEqual(data);
    expect(pair.client.link.allocatedSent).toBe(0);
    expect(pair.client.link.sent.length).toBeGreaterThan(0);
  });

  it("keeps a copy of a frame that waits for ARP, since the link reuses its memory for the request", async () => {
    const scheduler = new ManualScheduler();
    const link = new OneSlotLink(mac(0x15), scheduler);
    const stack = new NetStack({ link, scheduler, random: seededRandom(1) });
    stack.configureStatic(staticConfig("10.0.2.15"));
    const peerLink = new SimLink(mac(0x02), scheduler);
    const peer = new NetStack({ link: peerLink, scheduler, random: seededRandom(2) });
    peer.configureStatic(staticConfig("10.0.2.2"));
    SimLink.connect(link, peerLink);
    const got: number[][] = [];
    peer.udp.bind(7).onMessage((message) => got.push(Array.from(message.data)));
    stack.udp.bind(5000).send("10.0.2.2", 7, Uint8Array.of(1, 2, 3));
    await scheduler.advance(10);
    expect(got).toEqual([[1, 2, 3]]);
    expect(peer.counters.drops["udp.badChecksum"]).toBe(0);
  });
});

/** A link with a single transmit slot that every frame, allocated or copied, goes through. */
class OneSlotLink extends SimLink {
  private readonly slot = new Uint8Array(1514);

  override allocateFrame(length: number): Uint8Array | undefined {
    return this.slot.subarray(0, length).fill(0xa5);
  }

  override transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    this.slot.set(frame);
    return super.transmit(this.slot.slice(0, frame.length), offload);
  }

  override transmitAllocated(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    return super.transmit(frame.slice(), offload);
  }
}

describe("RingBuffer.peek", () => {
  it("returns the word sum of what it copied, also when the copy wraps at an odd offset", () => {
    for (const capacity of [16, 17]) {
      for (let skip = 0; skip < capacity; skip++) {
        const ring = new RingBuffer(capacity);
        ring.write(pattern(capacity, 5), 0, capacity);
        ring.discard(skip);
        ring.write(pattern(skip, 7), 0, skip);
        for (let length = 0; length <= capacity; length++) {
          const target = new Uint8Array(length + 2);
          const sum = ring.peek(0, length, target, 2);
          expect(checksumFold(sum)).toBe(checksumFold(sumBytes(target, 2, length)));
        }
      }
    }
  });
});

/** One's complement sums compare equal modulo 0xffff (zero has two forms). */
function checksumFold(sum: number): number {
  return foldSum(sum) % 0xffff;
}
