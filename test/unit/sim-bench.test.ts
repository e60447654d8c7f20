import { describe, expect, it } from "vitest";
import { benchRoundTrip } from "../harness/bench-virtqueue";

describe("benchRoundTrip", () => {
  it.each(["split", "packed"] as const)("returns a positive ns/op figure for a clean run on a %s ring", (layout) => {
    const ns = benchRoundTrip(2000, () => Number(process.hrtime.bigint()), layout);
    expect(ns).toBeGreaterThan(0);
    expect(Number.isFinite(ns)).toBe(true);
  });
});
