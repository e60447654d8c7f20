// The in-guest suite, booted on the real image: its last line counts what passed and failed.
import { describe, expect, it } from "vitest";
import { boot } from "../../scripts/lib/qemu";

const SELFTEST_TIMEOUT_MS = 120_000;

export function summaryOf(output: string): { passed: number; failed: number } {
  const lines = output.trimEnd().split("\n");
  const match = /^(\d+) passed, (\d+) failed$/.exec(lines[lines.length - 1] ?? "");
  if (!match) throw new Error(`no "N passed, M failed" line at the end of:\n${output}`);
  return { passed: Number(match[1]), failed: Number(match[2]) };
}

describe("selftest image", () => {
  it("passes its in-guest suite on a bare machine", async () => {
    const result = await boot({ app: "selftest", timeoutMs: SELFTEST_TIMEOUT_MS });
    const summary = summaryOf(result.output);
    expect(summary.failed, result.output).toBe(0);
    expect(summary.passed).toBeGreaterThan(50);
    expect(result.status).toBe(0);
  });
});
