import { describe, expect, it } from "vitest";
import { decodeProfile, isComplete, ProfileFormatError, ProfileIncompleteError, UNKNOWN_FUNCTION } from "../../scripts/profile/format";
import { encodeProfile } from "./profile-encoder";

const functions = new Map([
  [3, { name: "main", line: 10 }],
  [7, { name: "hot", line: 20 }],
  [9, { name: "", line: 30 }],
]);

describe("profile decoder", () => {
  it("restores each sample's whole stack from the frames it shares with the previous one", () => {
    const samples = [
      { rip: 0x10_0000n, frames: [{ function: 3, line: 11 }, { function: 7, line: 22 }] },
      { rip: 0x10_0010n, frames: [{ function: 3, line: 11 }, { function: 7, line: 23 }] },
      { rip: 0x20_0000n, frames: [] },
      { rip: 0xffff_ffff_8000_0000n, frames: [{ function: 3, line: 12 }, { function: 9, line: 31 }, { function: UNKNOWN_FUNCTION, line: 0 }] },
    ];
    const profile = decodeProfile(encodeProfile(samples, { hz: 997, dropped: 5, functions, elapsedNs: 4_000_000_123, samplingNs: 70_000_456 }));
    expect(profile.hz).toBe(997);
    expect(profile.elapsedNs).toBe(4_000_000_123);
    expect(profile.samplingNs).toBe(70_000_456);
    expect(profile.dropped).toBe(5);
    expect(profile.samples).toEqual(samples);
    expect(profile.functions).toEqual(functions);
  });

  it("skips what the port carried before the header", () => {
    const bytes = encodeProfile([{ rip: 1n, frames: [] }], { preamble: [0x56, 0x49, 0, 0xff, 0x0a] });
    expect(decodeProfile(bytes).samples).toEqual([{ rip: 1n, frames: [] }]);
  });

  it("tells a whole profile from one still being written", () => {
    const whole = encodeProfile([{ rip: 1n, frames: [{ function: 3, line: 11 }] }], { functions });
    const cut = encodeProfile([{ rip: 1n, frames: [{ function: 3, line: 11 }] }], { functions, withoutTrailer: true });
    expect(isComplete(whole)).toBe(true);
    expect(isComplete(cut)).toBe(false);
    expect(isComplete(new Uint8Array())).toBe(false);
    expect(isComplete(whole.subarray(0, whole.length - 1))).toBe(false);
    expect(() => decodeProfile(cut)).toThrow(ProfileIncompleteError);
  });

  it("takes a profile whose trailer is wrong as written, and then refuses it", () => {
    const bytes = encodeProfile([{ rip: 1n, frames: [] }]);
    bytes[bytes.length - 1] ^= 1;
    expect(isComplete(bytes)).toBe(true);
    expect(() => decodeProfile(bytes)).toThrow(/does not end with its trailer/);
  });

  it("refuses bytes without a profile, another format version, and a record that shares more frames than there were", () => {
    expect(() => decodeProfile(new Uint8Array([1, 2, 3]))).toThrow(/no profile/);
    const bytes = encodeProfile([]);
    bytes[8] = 2;
    expect(() => decodeProfile(bytes)).toThrow(/format 2/);
    const lying = encodeProfile([{ rip: 1n, frames: [] }]);
    lying[48] = 1;
    expect(() => decodeProfile(lying)).toThrow(/shares 1 frames/);
  });

  it("refuses a profile whose samples take other than the bytes its header says", () => {
    const bytes = encodeProfile([{ rip: 1n, frames: [] }]);
    bytes[24] += 1;
    expect(() => decodeProfile(bytes)).toThrow(ProfileFormatError);
  });
});
