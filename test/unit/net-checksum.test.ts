import { describe, expect, it } from "vitest";
import { checksumValid, finishChecksum, internetChecksum, pseudoHeaderSum, sumBytes, sumUint32 } from "../../runtime/net/checksum";
import { onesComplement } from "../net/packets";

describe("internet checksum", () => {
  it("matches the RFC 1071 worked example", () => {
    const bytes = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(internetChecksum(bytes, 0, bytes.length)).toBe(~0xddf2 & 0xffff);
  });

  it("pads an odd trailing byte with zero", () => {
    const bytes = new Uint8Array([0x12, 0x34, 0x56]);
    expect(internetChecksum(bytes, 0, 3)).toBe(onesComplement(bytes));
    expect(internetChecksum(bytes, 0, 3)).toBe(internetChecksum(new Uint8Array([0x12, 0x34, 0x56, 0]), 0, 4));
  });

  it("accumulates incrementally to the same result as one pass", () => {
    const bytes = Uint8Array.from({ length: 1001 }, (_, i) => (i * 37) & 0xff);
    const whole = internetChecksum(bytes, 0, bytes.length);
    const split = finishChecksum(sumBytes(bytes, 400, 601, sumBytes(bytes, 0, 400)));
    expect(split).toBe(whole);
    expect(whole).toBe(onesComplement(bytes));
  });

  it("verifies a region that contains its own checksum", () => {
    const bytes = Uint8Array.from({ length: 20 }, (_, i) => i * 11);
    bytes[10] = bytes[11] = 0;
    const sum = internetChecksum(bytes, 0, 20);
    bytes[10] = sum >>> 8;
    bytes[11] = sum & 0xff;
    expect(checksumValid(bytes, 0, 20)).toBe(true);
    bytes[3] ^= 0x40;
    expect(checksumValid(bytes, 0, 20)).toBe(false);
  });

  it("carries across many words without losing bits", () => {
    const bytes = new Uint8Array(65534).fill(0xff);
    expect(internetChecksum(bytes, 0, bytes.length)).toBe(0);
    expect(sumUint32(0xffffffff)).toBe(0x1fffe);
  });

  it("sums the pseudo-header fields", () => {
    expect(pseudoHeaderSum(0x0a00020f, 0x0a000202, 17, 12)).toBe(0x0a00 + 0x020f + 0x0a00 + 0x0202 + 17 + 12);
  });
});
