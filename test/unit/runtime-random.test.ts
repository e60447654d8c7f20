import { createCipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ChaCha20 } from "../../runtime/random/chacha20";
import type { Devices } from "../../runtime/devices";
import { FastRandom, type EntropySource } from "../../runtime/random/fast-random";
import { systemRandom } from "../../runtime/services";

describe("ChaCha20 keystream", () => {
  it("matches Node's chacha20 for several keys, nonces and counters, across block boundaries", () => {
    for (let k = 0; k < 4; k++) {
      const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + k * 13) & 0xff);
      const nonce = Uint8Array.from({ length: 12 }, (_, i) => (i * 3 + k) & 0xff);
      const counter = k * 1000;
      const iv = Buffer.alloc(16);
      iv.writeUInt32LE(counter, 0);
      Buffer.from(nonce).copy(iv, 4);
      const expected = createCipheriv("chacha20", key, iv).update(Buffer.alloc(300));
      const ours = new ChaCha20(key, nonce, counter);
      const out = new Uint8Array(300);
      // Odd-sized pieces cross the 64-byte blocks at different places.
      for (let at = 0; at < out.length; at += 37) ours.fill(out.subarray(at, Math.min(out.length, at + 37)));
      expect(Buffer.from(out).equals(expected)).toBe(true);
    }
  });
});

describe("FastRandom", () => {
  it("never waits: keys from ready entropy, else from the fallback, and counts weak seeds", () => {
    let ready = false;
    const asked: number[] = [];
    const entropy: EntropySource = {
      tryFill: (bytes) => {
        asked.push(bytes.length);
        if (!ready) return false;
        bytes.fill(9);
        return true;
      },
    };
    const random = new FastRandom(entropy, (bytes) => bytes.fill(1));
    expect(random.weakSeeds).toBe(1);
    const a = new Uint8Array(16);
    random.fill(a);
    expect(a.some((b) => b !== 0)).toBe(true);
    ready = true;
    // A megabyte later the generator is rekeyed, now from the device.
    random.fill(new Uint8Array(1 << 20));
    random.fill(new Uint8Array(1));
    expect(asked).toEqual([44, 44]);
    expect(random.weakSeeds).toBe(1);
  });

  it("keeps working when the entropy source throws or stalls", () => {
    const random = new FastRandom({ tryFill: () => false }, (bytes) => bytes.fill(3));
    const out = new Uint8Array(64);
    expect(() => random.fill(out)).not.toThrow();
    const again = new Uint8Array(64);
    random.fill(again);
    expect(Buffer.from(out).equals(Buffer.from(again))).toBe(false);
  });
});

describe("systemRandom", () => {
  it("serves the stack without touching a stalled rng that would throw", () => {
    let calls = 0;
    const stalled = {
      available: 0,
      getRandomValues: () => {
        calls++;
        throw new Error("rng timed out");
      },
    };
    const random = systemRandom({ rng: stalled } as unknown as Devices);
    const bytes = new Uint8Array(4);
    expect(() => random(bytes)).not.toThrow();
    expect(calls).toBe(0);
  });
});
