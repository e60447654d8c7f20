/// <reference path="../../boot/platform.d.ts" />
/// <reference path="../../boot/guest-globals.d.ts" />
/// <reference path="../../boot/guest-web.d.ts" />
/**
 * In-guest tests in the shape of node:test ("vireo/test"): `test(name, fn, { timeoutMs })`,
 * `describe(name, fn)` (alias `it` for test), and `assert` from node:assert/strict. The tests
 * of every file in the image run once all modules have loaded, printed as TAP with a last line
 * `N passed, M failed`; the machine then exits 0 when all passed and 1 otherwise (what
 * `vireo test` checks). The web HTTP globals (Request, Response, ...) are installed.
 */
import { system } from "../../kernel/prelude";
import { installHttpGlobals } from "../app/globals";
import { TestRunner, type TestBody, type TestOptions } from "./runner";

installHttpGlobals();
const runner = new TestRunner((text) => system.platform.serialWrite(text));

// Every module of the image is evaluated before the first promise job: all tests are registered.
void Promise.resolve()
  .then(() => runner.run())
  .then((failed) => system.platform.exit(failed === 0 ? 0 : 1));

export function test(name: string, body: TestBody, options?: TestOptions): void {
  runner.test(name, body, options);
}

export const it = test;

export function describe(name: string, body: () => void): void {
  runner.describe(name, body);
}

export { assert, AssertionError, type ErrorExpectation } from "./assert";
export type { TestBody, TestOptions } from "./runner";
