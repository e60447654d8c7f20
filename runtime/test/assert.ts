/**
 * Assertions in the shape of node:assert/strict: `equal` is Object.is, `deepEqual` is structural
 * with prototypes compared. A failed assertion throws AssertionError, which the runner reports
 * by its message alone.
 */
import { formatValue } from "../../kernel/console/inspect";
import { isDeepEqual } from "./deep-equal";

export class AssertionError extends Error {
  override name = "AssertionError";
}

/** What `throws` and `rejects` may check the error against: its class, a pattern for its message, or an arrow-function predicate. */
export type ErrorExpectation = (abstract new (...args: never[]) => unknown) | RegExp | ((error: unknown) => boolean);

function fail(message: string, context?: string): never {
  throw new AssertionError(context === undefined ? message : `${context}: ${message}`);
}

function checkThrown(error: unknown, expected: ErrorExpectation | undefined, context: string | undefined): void {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    const message = error instanceof Error ? error.message : String(error);
    if (!expected.test(message)) fail(`expected an error matching ${expected}, got ${formatValue(error)}`, context);
  } else if (expected.prototype !== undefined) {
    // A class (arrow-function predicates have no prototype).
    if (!(error instanceof expected)) fail(`expected a ${expected.name}, got ${formatValue(error)}`, context);
  } else if (!(expected as (error: unknown) => boolean)(error)) {
    fail(`the error did not satisfy the check: ${formatValue(error)}`, context);
  }
}

/** node:assert/strict's shape: callable as `assert(value)`, with the named checks as methods. */
export interface Assert {
  (value: unknown, message?: string): asserts value;
  ok(value: unknown, message?: string): asserts value;
  equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  notEqual(actual: unknown, expected: unknown, message?: string): void;
  deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
  notDeepEqual(actual: unknown, expected: unknown, message?: string): void;
  match(text: string, pattern: RegExp, message?: string): void;
  throws(body: () => unknown, expected?: ErrorExpectation, message?: string): unknown;
  /** Expects the promise (or the one `body` returns) to reject; resolves to the reason. */
  rejects(body: Promise<unknown> | (() => Promise<unknown>), expected?: ErrorExpectation, message?: string): Promise<unknown>;
  fail(message?: string): never;
}

function ok(value: unknown, message?: string): asserts value {
  if (!value) fail(`expected a truthy value, got ${formatValue(value)}`, message);
}

export const assert: Assert = Object.assign(ok, {
  ok,
  equal(actual: unknown, expected: unknown, message?: string): void {
    if (!Object.is(actual, expected)) fail(`expected ${formatValue(expected)}, got ${formatValue(actual)}`, message);
  },
  notEqual(actual: unknown, expected: unknown, message?: string): void {
    if (Object.is(actual, expected)) fail(`expected anything but ${formatValue(expected)}`, message);
  },
  deepEqual(actual: unknown, expected: unknown, message?: string): void {
    if (!isDeepEqual(actual, expected)) fail(`expected ${formatValue(expected)}, got ${formatValue(actual)}`, message);
  },
  notDeepEqual(actual: unknown, expected: unknown, message?: string): void {
    if (isDeepEqual(actual, expected)) fail(`expected anything but ${formatValue(expected)}`, message);
  },
  match(text: string, pattern: RegExp, message?: string): void {
    if (!pattern.test(text)) fail(`expected ${formatValue(text)} to match ${pattern}`, message);
  },
  throws(body: () => unknown, expected?: ErrorExpectation, message?: string): unknown {
    try {
      body();
    } catch (error) {
      checkThrown(error, expected, message);
      return error;
    }
    return fail("expected an exception", message);
  },
  async rejects(body: Promise<unknown> | (() => Promise<unknown>), expected?: ErrorExpectation, message?: string): Promise<unknown> {
    try {
      await (typeof body === "function" ? body() : body);
    } catch (error) {
      checkThrown(error, expected, message);
      return error;
    }
    return fail("expected a rejection", message);
  },
  fail(message = "failed"): never {
    return fail(message);
  },
});
