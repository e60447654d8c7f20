// A short seeded slice of the packet fuzzer (`npm run fuzz` runs the long one).
import { describe, expect, it } from "vitest";
import { runPacketFuzz } from "../fuzz/packet-fuzz";

describe("packet fuzzing (short slice)", () => {
  it.each([101, 202])("seed %i: 6,000 damaged and made-up frames, nothing thrown, bounds kept, clean requests answered", async (seed) => {
    const report = await runPacketFuzz({ seed, packets: 6000, cleanCheckEvery: 2000 });
    expect(report.failures).toEqual([]);
    expect(report.packets).toBeGreaterThanOrEqual(6000);
    expect(report.mutated).toBeGreaterThan(500);
    expect(report.madeUp).toBeGreaterThan(1000);
    expect(report.cleanChecks).toBeGreaterThanOrEqual(3);
  });
});
