/**
 * True while Stryker runs the suite against instrumented code: every instrumented statement then
 * records its coverage in a global object, so heap-growth checks measure the instrumentation rather
 * than the code under test and are skipped.
 */
export const underMutationTesting = "__stryker__" in globalThis;
