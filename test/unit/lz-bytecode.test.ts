// The image's bytecode compression: scripts/lib/lz-compress.ts against the decoder the kernel runs
// (boot/js/lz-decode.c, built for the host with a small file harness).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LZ_HEADER_BYTES, lzCompress } from "../../scripts/lib/lz-compress";

const ROOT = join(__dirname, "..", "..");
const REFUSED = 2;
let dir = "";
let cli = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vireo-lz-"));
  cli = join(dir, "lz-decode-cli");
  // Built with AddressSanitizer: a write past the buffer and its slack fails the harness.
  execFileSync("gcc", ["-O2", "-Wall", "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-o", cli, join(ROOT, "test/native/lz-decode-cli.c"), join(ROOT, "boot/js/lz-decode.c")]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the kernel's decoder over `packed`: the bytes it produced, or its exit status. */
function decode(packed: Uint8Array): Uint8Array | number {
  const input = join(dir, "in.lz");
  const output = join(dir, "out.bin");
  rmSync(output, { force: true });
  writeFileSync(input, packed);
  const result = spawnSync(cli, [input, output]);
  return result.status === 0 ? new Uint8Array(readFileSync(output)) : (result.status ?? -1);
}

/** Deterministic bytes: xorshift noise. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** Text-like input: words drawn from a small vocabulary, so matches of every length and distance occur. */
function words(length: number, seed: number): Uint8Array {
  const vocabulary = ["virtio", "queue", "descriptor", "used", "avail", " ", "\n", "function", "return", "const", "0x1000"];
  const picks = noise(length, seed);
  const text: string[] = [];
  for (let i = 0, size = 0; size < length; i++) {
    const word = vocabulary[picks[i % length] % vocabulary.length];
    text.push(word);
    size += word.length;
  }
  return new TextEncoder().encode(text.join("")).subarray(0, length);
}

describe("bytecode compression", () => {
  const inputs: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["shorter than a match", Uint8Array.of(1, 2, 3)],
    ["one byte repeated (overlapping matches, long counts)", new Uint8Array(100_000).fill(7)],
    ["noise (long literal runs)", noise(70_000, 5)],
    ["text-like", words(200_000, 9)],
    // The same noise block twice, further apart than a distance can reach, and twice close together.
    ["repeats beyond the distance limit", Uint8Array.from([...noise(40_000, 3), ...noise(70_000, 4), ...noise(40_000, 3), ...noise(40_000, 3)])],
  ];

  for (const [name, data] of inputs) {
    it(`round-trips ${name} through the kernel's decoder`, () => {
      const packed = lzCompress(data);
      expect(decode(packed)).toEqual(data);
    });
  }

  it("compresses what repeats and keeps noise at about its size", () => {
    expect(lzCompress(new Uint8Array(100_000).fill(7)).length).toBeLessThan(500);
    expect(lzCompress(words(200_000, 9)).length).toBeLessThan(200_000 / 3);
    const random = noise(70_000, 5);
    expect(lzCompress(random).length).toBeLessThan(random.length * 1.01 + LZ_HEADER_BYTES);
  });

  it("finds the close repeat of a block when the first copy is out of reach", () => {
    const block = noise(40_000, 3);
    const far = Uint8Array.from([...block, ...noise(70_000, 4), ...block]);
    const near = Uint8Array.from([...block, ...noise(70_000, 4), ...block, ...block]);
    // The third copy is 40,000 bytes after the second: one match whose length takes 157 count bytes.
    expect(lzCompress(near).length - lzCompress(far).length).toBeLessThan(200);
    // The second copy's source lies 110,000 bytes back: it is stored as literals.
    expect(lzCompress(far).length).toBeGreaterThan(150_000);
  });

  describe("the decoder refuses damaged input", () => {
    const data = words(20_000, 11);
    const packed = lzCompress(data);

    it("a truncated container, at every length", () => {
      for (let cut = 0; cut < packed.length; cut += Math.max(1, Math.floor(packed.length / 20))) {
        expect(decode(packed.subarray(0, cut))).toBe(REFUSED);
      }
    });

    it("a wrong magic, or a decoded length that does not match the sequences", () => {
      const magic = packed.slice();
      magic[0] ^= 0xff;
      expect(decode(magic)).toBe(REFUSED);
      for (const delta of [1, -1]) {
        const length = packed.slice();
        new DataView(length.buffer).setUint32(4, data.length + delta, true);
        expect(decode(length)).toBe(REFUSED);
      }
    });

    it("a match reaching before the start, or a zero distance", () => {
      // "abcd" as literals, then a match of 4 at distance 5 (one before the start), then "!".
      const header = [..."VLZ1"].map((c) => c.charCodeAt(0));
      const sequence = (distance: number) => Uint8Array.of(...header, 9, 0, 0, 0, 0x40, 97, 98, 99, 100, distance, 0, 0x10, 33);
      expect(decode(sequence(4))).toEqual(new TextEncoder().encode("abcdabcd!"));
      expect(decode(sequence(5))).toBe(REFUSED);
      expect(decode(sequence(0))).toBe(REFUSED);
    });

    it("a match reaching before the start, far from both ends of the buffers", () => {
      // 14 literals, a match of 4 at distance `distance`, then 60 literals: the first sequence is
      // decoded by the path that checks only the distance.
      const header = [..."VLZ1"].map((c) => c.charCodeAt(0));
      const head = Array.from({ length: 14 }, (_, i) => 65 + i);
      const tail = Array.from({ length: 60 }, (_, i) => 97 + (i % 26));
      const stream = (distance: number) => Uint8Array.of(...header, 78, 0, 0, 0, 0xe0, ...head, distance, 0, 0xf0, 45, ...tail);
      const decoded = decode(stream(14));
      expect(decoded).toEqual(Uint8Array.from([...head, ...head.slice(0, 4), ...tail]));
      expect(decode(stream(15))).toBe(REFUSED);
      expect(decode(stream(0))).toBe(REFUSED);
    });

    it("bytes left over past the decoded length", () => {
      expect(decode(Uint8Array.from([...packed, 0x10, 33]))).toBe(REFUSED);
    });
  });
});
