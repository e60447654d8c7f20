// Boots the selftest image and reads its closing `N passed, M failed` line.
import { boot, type BootOptions, type BootResult } from "../../../scripts/lib/qemu";
import { testSummary } from "../../../scripts/vireo/summary";

export const SELFTEST_TIMEOUT_MS = 120_000;

export interface SelftestResult extends BootResult {
  passed: number;
  failed: number;
}

export function summaryOf(output: string): { passed: number; failed: number } {
  const summary = testSummary(output);
  if (!summary) throw new Error(`no "N passed, M failed" line at the end of:\n${output}`);
  return summary;
}

export async function runSelftest(options: Omit<BootOptions, "app"> = {}): Promise<SelftestResult> {
  const result = await boot({ app: "selftest", timeoutMs: SELFTEST_TIMEOUT_MS, ...options });
  return { ...result, ...summaryOf(result.output) };
}
