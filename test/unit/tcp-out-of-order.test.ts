import { describe, expect, it } from "vitest";
import { OutOfOrderQueue } from "../../runtime/net/tcp/out-of-order";
import { seqAdd } from "../../runtime/net/tcp/seq";

/** The byte at stream position `seq`: what every copy of a segment carries there. */
const byteAt = (seq: number): number => (seq * 31 + 7) & 0xff;

function segment(seq: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => byteAt(seqAdd(seq, i)));
}

function drained(queue: OutOfOrderQueue, rcvNxt: number): { next: number; bytes: number[] } {
  const bytes: number[] = [];
  const next = queue.drain(rcvNxt, (data, offset, length) => bytes.push(...data.subarray(offset, offset + length)));
  return { next, bytes };
}

describe("TCP out-of-order queue", () => {
  it("holds no more than the window for 64 overlapping segments of 60,000 bytes", () => {
    const queue = new OutOfOrderQueue(64);
    const nxt = 1000;
    for (let i = 0; i < 64; i++) {
      const seq = nxt + 1 + i;
      expect(queue.add(seq, segment(seq, 60_000), 0, 60_000)).toBe(true);
    }
    expect(queue.size).toBe(1);
    expect(queue.bytes).toBe(60_063);
    const { next, bytes } = drained(queue, nxt + 1);
    expect(next).toBe(nxt + 1 + 60_063);
    expect(bytes).toEqual(Array.from(segment(nxt + 1, 60_063)));
    expect(queue.bytes).toBe(0);
  });

  it("merges touching and overlapping ranges, keeps separate ones apart, and ignores covered ones", () => {
    const queue = new OutOfOrderQueue(4);
    queue.add(100, segment(100, 10), 0, 10);
    queue.add(120, segment(120, 10), 0, 10);
    expect([queue.size, queue.bytes]).toEqual([2, 20]);
    queue.add(110, segment(110, 10), 0, 10);
    expect([queue.size, queue.bytes]).toEqual([1, 30]);
    queue.add(105, segment(105, 5), 0, 5);
    expect([queue.size, queue.bytes]).toEqual([1, 30]);
    queue.add(95, segment(95, 40), 0, 40);
    expect([queue.size, queue.bytes]).toEqual([1, 40]);
    for (const seq of [200, 300, 400]) queue.add(seq, segment(seq, 1), 0, 1);
    expect(queue.add(500, segment(500, 1), 0, 1)).toBe(false);
    // Touching a held range needs no new one, so it still fits.
    expect(queue.add(401, segment(401, 1), 0, 1)).toBe(true);
    expect(queue.size).toBe(4);
  });

  it("delivers exactly the contiguous stream across 2^32 whatever the arrival order and overlaps", () => {
    let state = 12345;
    const random = (n: number): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state % n;
    };
    const windowBytes = 2000;
    for (let round = 0; round < 50; round++) {
      const queue = new OutOfOrderQueue(1000);
      const nxt = 0xffff_ff00;
      const present = new Uint8Array(windowBytes);
      for (let i = 0; i < 40; i++) {
        const start = 1 + random(windowBytes - 1);
        const length = 1 + random(Math.min(300, windowBytes - start));
        const seq = seqAdd(nxt, start);
        // Given inside a larger buffer, as segments arrive inside frames.
        const frame = new Uint8Array(length + 6);
        frame.set(segment(seq, length), 3);
        expect(queue.add(seq, frame, 3, length)).toBe(true);
        present.fill(1, start, start + length);
        expect(queue.bytes).toBe(present.reduce((sum, b) => sum + b, 0));
      }
      present[0] = 1;
      queue.add(nxt, segment(nxt, 1), 0, 1);
      let run = 0;
      while (run < windowBytes && present[run] === 1) run++;
      const { next, bytes } = drained(queue, nxt);
      expect(next).toBe(seqAdd(nxt, run));
      expect(bytes).toEqual(Array.from(segment(nxt, run)));
    }
  });
});
