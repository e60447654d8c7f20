import { describe, expect, it } from "vitest";
import { benchRoundTrip } from "../harness/bench-virtqueue";

describe("benchRoundTrip", () => {
  it("returns a positive ns/op figure for a clean run", () => {
    const ns = benchRoundTrip(2000, () => Number(process.hrtime.bigint()));
    expect(ns).toBeGreaterThan(0);
    expect(Number.isFinite(ns)).toBe(true);
  });
});
