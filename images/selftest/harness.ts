/**
 * The selftest's test registration and expectations, on the runner apps use ("vireo/test",
 * runtime/test/runner.ts): one TAP line per test, `N passed, M failed` last.
 */
import { AssertionError, assert } from "../../runtime/test/assert";
import { isDeepEqual } from "../../runtime/test/deep-equal";

export { TestRunner as Harness, type TestBody, type TestOptions, type TestRegistry } from "../../runtime/test/runner";
export { isDeepEqual };

function fail(message: string, context?: string): never {
  throw new AssertionError(context === undefined ? message : `${context}: ${message}`);
}

export function expectEqual<T>(actual: T, expected: T, context?: string): void {
  assert.deepEqual(actual, expected, context);
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
  assert.match(text, pattern, context);
}

/** Expects `body` to throw an instance of `type` (when given); returns what was thrown. */
export function expectThrows(body: () => unknown, type?: Function, context?: string): unknown {
  return assert.throws(body, type as (new () => unknown) | undefined, context);
}

export async function expectRejects(promise: Promise<unknown>, type?: Function, context?: string): Promise<unknown> {
  return assert.rejects(promise, type as (new () => unknown) | undefined, context);
}
