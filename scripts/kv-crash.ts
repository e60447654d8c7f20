// Crash-point run of the key-value store: a seeded workload, then a power cut after every write
// and every flush (unflushed writes lost, kept or torn), and a failure of every write and every
// flush. Usage: npx tsx scripts/kv-crash.ts [--seed N] [--ops N] [--keys N] [--blocks N] [--cut N]
//   --cut N reruns only the cut point N of the crash run (a reproduction).
import { runCrashPoints, runFailurePoints, type CrashOptions, type Failure } from "../test/kv/crash-points";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} needs a whole number`);
  return value;
}

const FAILURE_STRIDE = 24;

async function main(): Promise<number> {
  const cut = process.argv.includes("--cut") ? option("cut", 0) : undefined;
  const options: CrashOptions = {
    seed: option("seed", 1),
    ops: option("ops", 1000),
    keys: option("keys", 24),
    blocks: option("blocks", 1024),
    failureRate: 0.01,
    cuts: cut === undefined ? undefined : [cut],
    writeAfterReopenEvery: 5,
  };
  const started = Date.now();
  const crash = await runCrashPoints(options);
  const crashSeconds = (Date.now() - started) / 1000;
  console.log(`seed ${crash.seed}, ${crash.ops} operations, ${crash.deviceOps} device operations (${crash.injectedFailures} failed on purpose, ${crash.fullAnswers} "full" answers)`);
  console.log(`crash points tried: ${crash.cutPoints} in ${crashSeconds.toFixed(1)} s, failures: ${crash.failures.length}`);
  report(crash.failures, options, "");
  if (cut !== undefined) return crash.failures.length === 0 ? 0 : 1;

  const failStarted = Date.now();
  const failed = await runFailurePoints({ ...options, stride: FAILURE_STRIDE });
  const failSeconds = (Date.now() - failStarted) / 1000;
  console.log(
    `failure points injected: ${failed.injectedFailures} (every write and every flush, ${failed.runs} runs), crash points after them: ${failed.cutPoints}, in ${failSeconds.toFixed(1)} s, failures: ${failed.failures.length}`,
  );
  report(failed.failures, options, " (failure run: see the message for which)");
  return crash.failures.length + failed.failures.length === 0 ? 0 : 1;
}

function report(failures: Failure[], options: CrashOptions, note: string): void {
  const shown = failures.slice(0, 20);
  for (const failure of shown) {
    const where = failure.cut === undefined ? "" : `, cut point ${failure.cut}`;
    console.log(`FAIL operation ${failure.opIndex}${where}: ${failure.message}`);
  }
  if (shown.length > 0) {
    const first = failures[0];
    const repro = first.cut === undefined ? "" : ` --cut ${first.cut}`;
    console.log(`reproduce: npx tsx scripts/kv-crash.ts --seed ${options.seed} --ops ${options.ops} --keys ${options.keys} --blocks ${options.blocks}${repro}${note}`);
  }
  if (failures.length > shown.length) console.log(`… and ${failures.length - shown.length} more`);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
