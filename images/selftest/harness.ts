/**
 * The in-guest test harness. Tests run one after another; each prints `ok - name` or
 * `not ok - name: reason`, and the last line is exactly `N passed, M failed`.
 * It only needs a `write` sink and the global timers, so it runs the same in the guest and in Node.
 */
import { formatValue } from "../../kernel/console/inspect";

export type TestBody = () => void | Promise<void>;

export interface TestOptions {
  /** Default 5000 ms. */
  timeoutMs?: number;
}

/** What a suite needs to register its tests. */
export interface TestRegistry {
  test(name: string, body: TestBody, options?: TestOptions): void;
}

export class ExpectationError extends Error {
  override name = "ExpectationError";
}

interface TestCase {
  name: string;
  body: TestBody;
  timeoutMs: number;
}

export class Harness implements TestRegistry {
  private readonly tests: TestCase[] = [];

  constructor(
    private readonly write: (text: string) => void,
    private readonly defaultTimeoutMs = 5000,
  ) {}

  test(name: string, body: TestBody, options: TestOptions = {}): void {
    this.tests.push({ name, body, timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs });
  }

  /** Runs every registered test and resolves to the number that failed. */
  async run(): Promise<number> {
    let failed = 0;
    for (const test of this.tests) {
      const failure = await runOne(test);
      if (failure === undefined) {
        this.write(`ok - ${test.name}\n`);
      } else {
        failed++;
        this.write(`not ok - ${test.name}: ${failure.replace(/\s*\n\s*/g, " ")}\n`);
      }
    }
    this.write(`${this.tests.length - failed} passed, ${failed} failed\n`);
    return failed;
  }
}

/** Resolves to undefined when the test passes, or to the reason it failed. */
async function runOne(test: TestCase): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ExpectationError(`timed out after ${test.timeoutMs} ms`)), test.timeoutMs);
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
  if (error instanceof ExpectationError) return error.message;
  if (error instanceof Error) return `threw ${error.name}: ${error.message}`;
  return `threw ${formatValue(error)}`;
}

function fail(message: string, context?: string): never {
  throw new ExpectationError(context === undefined ? message : `${context}: ${message}`);
}

export function expectEqual<T>(actual: T, expected: T, context?: string): void {
  if (!isDeepEqual(actual, expected)) fail(`expected ${formatValue(expected)}, got ${formatValue(actual)}`, context);
}

export function expectTrue(condition: boolean, context?: string): void {
  if (condition !== true) fail("expected true", context);
}

/** |actual - expected| <= tolerance (absolute). */
export function expectClose(actual: number, expected: number, tolerance: number, context?: string): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    fail(`expected ${expected} ± ${tolerance}, got ${actual}`, context);
  }
}

export function expectMatch(text: string, pattern: RegExp, context?: string): void {
  if (!pattern.test(text)) fail(`expected ${formatValue(text)} to match ${pattern}`, context);
}

/** Expects `body` to throw an instance of `type` (when given); returns what was thrown. */
export function expectThrows(body: () => unknown, type?: Function, context?: string): unknown {
  try {
    body();
  } catch (error) {
    checkThrown(error, type, context);
    return error;
  }
  return fail("expected an exception", context);
}

export async function expectRejects(promise: Promise<unknown>, type?: Function, context?: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    checkThrown(error, type, context);
    return error;
  }
  return fail("expected a rejection", context);
}

function checkThrown(error: unknown, type: Function | undefined, context: string | undefined): void {
  if (type !== undefined && !(error instanceof type)) fail(`expected a ${type.name}, got ${formatValue(error)}`, context);
}

/** Structural equality: same prototype, same own enumerable contents; NaN equals NaN, -0 differs from 0. */
export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof Map) return isMapEqual(a, b as Map<unknown, unknown>);
  if (a instanceof Set) return a.size === (b as Set<unknown>).size && [...a].every((item) => (b as Set<unknown>).has(item));
  if (ArrayBuffer.isView(a) && !(a instanceof DataView)) {
    return isDeepEqual(Array.from(a as Uint8Array), Array.from(b as Uint8Array));
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length || (Array.isArray(a) && a.length !== (b as unknown[]).length)) return false;
  return keysA.every(
    (key) =>
      Object.prototype.hasOwnProperty.call(b, key) &&
      isDeepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

function isMapEqual(a: Map<unknown, unknown>, b: Map<unknown, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    if (!b.has(key) || !isDeepEqual(value, b.get(key))) return false;
  }
  return true;
}
