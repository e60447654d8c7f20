import { describe, expect, it } from "vitest";
import { runCrashPoints, runFailurePoints } from "../kv/crash-points";

// A short seeded slice of scripts/kv-crash.ts (which runs 1,000 operations on a larger disk).
const slice = { seed: 11, ops: 150, keys: 8, blocks: 256, failureRate: 0.02, writeAfterReopenEvery: 4 };

describe("key-value store crash points", () => {
  it("keeps every acknowledged put and shows nothing half-done after a power cut at every device operation", async () => {
    const report = await runCrashPoints(slice);
    expect(report.failures).toEqual([]);
    expect(report.cutPoints).toBeGreaterThan(300);
    expect(report.injectedFailures).toBeGreaterThan(0);
    expect(report.fullAnswers).toBe(0);
    expect(report.blocksWritten).toBeGreaterThan(3 * slice.blocks); // the log wrapped and was cleaned several times
  });

  it("does the same on a disk kept nearly full, where cleaning copies most of what it passes", async () => {
    const report = await runCrashPoints({ ...slice, ops: 70, blocks: 64 });
    expect(report.failures).toEqual([]);
    expect(report.cutPoints).toBeGreaterThan(300);
    expect(report.blocksWritten).toBeGreaterThan(6 * 64);
  });

  it("rejects a failed write or flush with a typed error, carries on, and survives a power cut after it", async () => {
    const report = await runFailurePoints({ ...slice, ops: 50, blocks: 192, stride: 3 });
    expect(report.failures).toEqual([]);
    expect(report.injectedFailures).toBeGreaterThan(100);
  });
});
