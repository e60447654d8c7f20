/**
 * The test runner behind "vireo/test" and the selftest image. Tests run one after another, in
 * the order registered; the output is TAP (`TAP version 13`, then `ok - name` or
 * `not ok - name: reason` per test, then the plan `1..N`) and the last line is exactly
 * `N passed, M failed`. It needs only a `write` sink and the global timers, so it runs the same
 * in the guest and in Node.
 */
import { formatValue } from "../../kernel/console/inspect";
import { AssertionError } from "./assert";

export type TestBody = () => void | Promise<void>;

export interface TestOptions {
  /** Default: the runner's (5000 ms unless given). */
  timeoutMs?: number;
}

/** What a suite needs to register its tests. */
export interface TestRegistry {
  test(name: string, body: TestBody, options?: TestOptions): void;
}

interface TestCase {
  name: string;
  body: TestBody;
  timeoutMs: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;
const NAME_SEPARATOR = " > ";

export class TestRunner implements TestRegistry {
  private readonly tests: TestCase[] = [];
  private readonly suites: string[] = [];

  constructor(
    private readonly write: (text: string) => void,
    private readonly defaultTimeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  get size(): number {
    return this.tests.length;
  }

  test(name: string, body: TestBody, options: TestOptions = {}): void {
    const fullName = [...this.suites, name].join(NAME_SEPARATOR);
    this.tests.push({ name: fullName, body, timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs });
  }

  /** Registers the tests `body` declares, their names prefixed with `name`. */
  describe(name: string, body: () => void): void {
    this.suites.push(name);
    try {
      body();
    } finally {
      this.suites.pop();
    }
  }

  /** Runs every registered test and resolves to the number that failed. */
  async run(): Promise<number> {
    let failed = 0;
    this.write("TAP version 13\n");
    for (const test of this.tests) {
      const failure = await runOne(test);
      if (failure === undefined) {
        this.write(`ok - ${test.name}\n`);
      } else {
        failed++;
        this.write(`not ok - ${test.name}: ${failure.replace(/\s*\n\s*/g, " ")}\n`);
      }
    }
    this.write(`1..${this.tests.length}\n`);
    this.write(`${this.tests.length - failed} passed, ${failed} failed\n`);
    return failed;
  }
}

/** Resolves to undefined when the test passes, or to the reason it failed. */
async function runOne(test: TestCase): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AssertionError(`timed out after ${test.timeoutMs} ms`)), test.timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(test.body), timeout]);
    return undefined;
  } catch (error) {
    return describeFailure(error);
  } finally {
    clearTimeout(timer);
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof AssertionError) return error.message;
  if (error instanceof Error) return `threw ${error.name}: ${error.message}`;
  return `threw ${formatValue(error)}`;
}
