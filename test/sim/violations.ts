/** Spec violations the simulated machine saw the driver commit. */
export class ViolationLog {
  readonly entries: string[] = [];

  record(source: string, message: string): void {
    this.entries.push(`${source}: ${message}`);
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/** Throws (failing the test) if any violation was recorded. */
export function assertNoViolations(log: ViolationLog): void {
  if (log.entries.length > 0) {
    throw new Error(`driver violated the spec:\n  ${log.entries.join("\n  ")}`);
  }
}
