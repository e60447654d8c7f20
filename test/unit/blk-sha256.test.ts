import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Sha256, sha256Hex } from "../../runtime/crypto/sha256";

const nodeHex = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

describe("runtime SHA-256 (used by the blk image) against node:crypto", () => {
  it.each([0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 65536 + 7])("hashes %i bytes", (length) => {
    const data = new Uint8Array(randomBytes(length));
    expect(sha256Hex(data)).toBe(nodeHex(data));
  });

  it("gives the same digest however the input is split", () => {
    const data = new Uint8Array(randomBytes(10_000));
    const hash = new Sha256();
    for (let at = 0, step = 1; at < data.length; at += step, step = 1 + ((step * 7 + 3) % 200)) hash.update(data.subarray(at, at + step));
    expect(Buffer.from(hash.digest()).toString("hex")).toBe(nodeHex(data));
  });

  it("knows the FIPS 180-2 vector for abc", () => {
    expect(sha256Hex(new TextEncoder().encode("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
