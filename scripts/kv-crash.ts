// Crash-point run of the key-value store: a seeded workload, then a power cut after every write
// and every flush (unflushed writes lost, kept or torn), and a failure of every write and every
// flush; on a roomy disk and on a near-full one (or only the disk given by --keys/--blocks).
// Usage: npx tsx scripts/kv-crash.ts [--seed N] [--ops N] [--keys N] [--blocks N]
//   [--cut N]                    reruns only cut point N of the crash run (a reproduction);
//   [--fail write|flush --phase K] reruns only that failure run (a reproduction).
import type { DeviceOpKind } from "../test/kv/crash-disk";
import { runCrashPoints, runFailurePoints, type CrashOptions, type Failure } from "../test/kv/crash-points";

function text(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} needs a whole number`);
  return value;
}

const FAILURE_STRIDE = 24;
/** Default disks: one with room (the log wraps ~6 times in 1,000 operations) and one near full. */
const ROOMY = { keys: 24, blocks: 1024 };
const NEAR_FULL = { keys: 8, blocks: 64, maxOps: 300 };

async function main(): Promise<number> {
  const cut = process.argv.includes("--cut") ? option("cut", 0) : undefined;
  const fail = text("fail");
  const kinds: readonly DeviceOpKind[] = ["write", "flush"];
  const kind = kinds.find((known) => known === fail);
  if (fail !== undefined && kind === undefined) throw new Error("--fail takes write or flush");
  const only = kind === undefined ? undefined : { kind, phase: option("phase", 0) };
  const base = { seed: option("seed", 1), failureRate: 0.01, cuts: cut === undefined ? undefined : [cut], writeAfterReopenEvery: 5 };
  const ops = option("ops", 1000);
  const chosen = process.argv.includes("--blocks") || process.argv.includes("--keys");
  const configurations: CrashOptions[] = chosen
    ? [{ ...base, ops, keys: option("keys", ROOMY.keys), blocks: option("blocks", ROOMY.blocks) }]
    : [
        { ...base, ops, ...ROOMY },
        { ...base, ops: Math.min(ops, NEAR_FULL.maxOps), keys: NEAR_FULL.keys, blocks: NEAR_FULL.blocks },
      ];
  let failures = 0;
  for (const options of configurations) failures += await run(options, cut, only);
  return failures === 0 ? 0 : 1;
}

/** One configuration: the crash points, then the failure points; returns the number of failures. */
async function run(options: CrashOptions, cut: number | undefined, only: { kind: DeviceOpKind; phase: number } | undefined): Promise<number> {
  console.log(`== seed ${options.seed}, ${options.ops} operations on ${options.keys} keys (and one long key), ${options.blocks}-block disk`);
  let crashFailures = 0;
  if (only === undefined) {
    const started = Date.now();
    const crash = await runCrashPoints(options);
    const crashSeconds = (Date.now() - started) / 1000;
    console.log(
      `${crash.deviceOps} device operations, ${crash.blocksWritten} blocks written (${crash.injectedFailures} operations failed on purpose, ${crash.fullAnswers} "full" answers)`,
    );
    console.log(`crash points tried: ${crash.cutPoints} in ${crashSeconds.toFixed(1)} s, failures: ${crash.failures.length}`);
    report(crash.failures, options);
    crashFailures = crash.failures.length;
    if (cut !== undefined) return crashFailures;
  }
  const failStarted = Date.now();
  const failed = await runFailurePoints({ ...options, stride: FAILURE_STRIDE, only });
  const failSeconds = (Date.now() - failStarted) / 1000;
  console.log(
    `failure points injected: ${failed.injectedFailures} (every write and every flush, ${failed.runs} runs), crash points after them: ${failed.cutPoints}, in ${failSeconds.toFixed(1)} s, failures: ${failed.failures.length}`,
  );
  report(failed.failures, options);
  return crashFailures + failed.failures.length;
}

function report(failures: Failure[], options: CrashOptions): void {
  const shown = failures.slice(0, 20);
  for (const failure of shown) {
    const where = failure.cut === undefined ? "" : `, cut point ${failure.cut}`;
    console.log(`FAIL operation ${failure.opIndex}${where}: ${failure.message}`);
  }
  if (shown.length > 0) {
    const first = failures[0];
    const run = /^(--fail \w+ --phase \d+)/.exec(first.message)?.[1];
    const repro = run !== undefined ? ` ${run}` : first.cut === undefined ? "" : ` --cut ${first.cut}`;
    console.log(`reproduce: npx tsx scripts/kv-crash.ts --seed ${options.seed} --ops ${options.ops} --keys ${options.keys} --blocks ${options.blocks}${repro}`);
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
