/** The last line of an in-guest test run (runtime/test/runner.ts): `N passed, M failed`. */
export interface TestSummary {
  readonly passed: number;
  readonly failed: number;
}

/** The summary at the end of `output`, or undefined when the run did not end with one. */
export function testSummary(output: string): TestSummary | undefined {
  const lines = output.trimEnd().split("\n");
  const match = /^(\d+) passed, (\d+) failed$/.exec(lines[lines.length - 1] ?? "");
  return match ? { passed: Number(match[1]), failed: Number(match[2]) } : undefined;
}
