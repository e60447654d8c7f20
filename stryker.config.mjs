// Mutation testing of the virtio driver stack against the unit tests (simulator only).
// Run with `npm run mutate`; reports land in reports/mutation/ (not committed).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ["drivers/virtio/**/*.ts"],
  testRunner: "vitest",
  // The unit project alone (simulator-backed); the qemu project must never run per mutant.
  vitest: { configFile: "stryker.vitest.config.mjs", related: false },
  coverageAnalysis: "perTest",
  // Static mutants (module-level tables and constants, run once at import) need the whole unit
  // suite each: in drivers/virtio/9p 49 of 985 took 80% of the run. They are left out (reported as
  // ignored); `--ignoreStatic false` puts them back. The tables are checked field by field against
  // the simulator's specification tables by spec-tables.test.ts and the per-device spec tests.
  ignoreStatic: true,
  // One core: the machine is shared; override with --concurrency when it is not.
  concurrency: 1,
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // The sandbox needs no tsconfig path rewriting (nothing extends or references outside the repository),
  // and Stryker's rewriter calls the TypeScript 5 compiler API, which TypeScript 7 does not ship:
  // name a file that does not exist so the rewriter has nothing to do.
  tsconfigFile: "tsconfig.stryker-none.json",
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  timeoutMS: 10000,
  // The first run is the whole unit project on one worker (to learn which tests cover which
  // mutant): past Stryker's 5-minute default on a busy machine.
  dryRunTimeoutMinutes: 20,
};
