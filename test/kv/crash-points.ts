// Crash-point exploration of the key-value store: a seeded workload runs on a CrashDisk, then the
// store is reopened on the disk as a power cut after every device operation would leave it.
import { KvError } from "../../runtime/kv/errors";
import { SUPERBLOCK_SLOTS } from "../../runtime/kv/layout";
import { KvStore } from "../../runtime/kv/store";
import { CRASH_BLOCK, CrashDisk, CrashImages, ImageDisk, type DeviceOpKind } from "./crash-disk";
import { mulberry32, seedFor } from "./random";
import { allowedAt, checkStore, generateWorkload, runWorkload, type Allowed, type Trace } from "./workload";

export interface CrashOptions {
  readonly seed: number;
  readonly ops: number;
  /** Keys the workload uses (plus one long key): with the disk size, sets how full the disk runs. */
  readonly keys: number;
  /** Disk size: small enough that the workload wraps the log and cleans many times. */
  readonly blocks: number;
  /** Share of writes and flushes that fail during the workload. */
  readonly failureRate: number;
  /** Only these cut points (all when undefined). */
  readonly cuts?: readonly number[];
  /** Every this many cut points, the reopened store also takes a put and is reopened again. */
  readonly writeAfterReopenEvery: number;
}

export interface Failure {
  readonly opIndex: number;
  readonly cut?: number;
  readonly message: string;
}

export interface CrashReport {
  readonly seed: number;
  readonly ops: number;
  readonly deviceOps: number;
  /** Blocks the store wrote to the disk. */
  readonly blocksWritten: number;
  readonly cutPoints: number;
  readonly injectedFailures: number;
  readonly fullAnswers: number;
  readonly failures: Failure[];
}

const BAD_BLOCK_BYTE = 0xa5;
const PROBE_KEY = "probe-after-reopen";
const PROBE_VALUE = new TextEncoder().encode("written after the reboot");

/** The workload index in flight (or last finished) at `cut`. */
function opAt(trace: Trace, cut: number): number {
  const index = trace.records.findIndex((record) => record.end >= cut && record.end > record.begin);
  return index === -1 ? trace.records.length - 1 : index;
}

/**
 * Reopens the store on the disk a cut after `cut` device operations leaves and checks it. When
 * the two superblock copies differ, it also reopens with each of them destroyed in turn (a bad
 * block on top of the cut): the other must still hold every acknowledged change.
 */
async function checkCut(trace: Trace, images: CrashImages, cut: number, writeAfter: boolean): Promise<string[]> {
  const image = images.at(cut, trace.seed);
  const allowed = allowedAt(trace, cut);
  const problems = await checkImage(trace, image, allowed, writeAfter);
  const slot = (lba: number) => image.subarray(lba * CRASH_BLOCK, (lba + 1) * CRASH_BLOCK);
  if (Buffer.compare(slot(SUPERBLOCK_SLOTS[0]), slot(SUPERBLOCK_SLOTS[1])) === 0) return problems;
  for (const lba of SUPERBLOCK_SLOTS) {
    const damaged = image.slice();
    damaged.fill(BAD_BLOCK_BYTE, lba * CRASH_BLOCK, (lba + 1) * CRASH_BLOCK);
    problems.push(...(await checkImage(trace, damaged, allowed, false)).map((problem) => `with superblock ${lba} destroyed: ${problem}`));
  }
  return problems;
}

async function checkImage(trace: Trace, image: Uint8Array, allowed: Allowed, writeAfter: boolean): Promise<string[]> {
  let store: KvStore;
  try {
    store = await KvStore.open(new ImageDisk(image));
  } catch (error) {
    return [`reopening threw ${String(error)}`];
  }
  const problems = await checkStore(store, trace, allowed);
  if (problems.length > 0 || !writeAfter) return problems;
  try {
    // "full" is a fair answer on a full disk; the store must still reopen with everything.
    const stored = await store.put(PROBE_KEY, PROBE_VALUE).then(
      () => true,
      (error: unknown) => {
        if (error instanceof KvError && error.code === "full") return false;
        throw error;
      },
    );
    const again = await KvStore.open(new ImageDisk(image));
    problems.push(...(await checkStore(again, trace, allowed, { extra: PROBE_KEY })).map((problem) => `after a put and a second reopen: ${problem}`));
    const probe = await again.get(PROBE_KEY);
    if (stored && (probe === undefined || probe.length !== PROBE_VALUE.length)) problems.push("the put after the reopen was lost");
  } catch (error) {
    problems.push(`a put after the reopen, or the second reopen, threw ${String(error)}`);
  }
  return problems;
}

async function startRun(options: CrashOptions, shouldFail: (kind: DeviceOpKind, index: number) => boolean) {
  const disk = new CrashDisk(options.blocks, options.seed);
  const store = await KvStore.open(disk);
  disk.shouldFail = shouldFail;
  const trace: Trace = { seed: options.seed, ops: generateWorkload(options.seed, options.ops, options.keys), records: [] };
  const problems = await runWorkload(store, disk, trace);
  return { disk, trace, failures: problems.map((message) => ({ opIndex: Number(/op (\d+)/.exec(message)?.[1] ?? -1), message })) };
}

function summary(options: CrashOptions, disk: CrashDisk, trace: Trace, cutPoints: number, failures: Failure[]): CrashReport {
  return {
    seed: options.seed,
    ops: options.ops,
    deviceOps: disk.ops.length,
    blocksWritten: blocksWritten(disk),
    cutPoints,
    injectedFailures: disk.ops.filter((op) => op.failed).length,
    fullAnswers: trace.records.filter((record) => record.outcome === "full").length,
    failures,
  };
}

function blocksWritten(disk: CrashDisk): number {
  return disk.ops.reduce((sum, op) => sum + (op.kind === "write" ? op.landed.length : 0), 0);
}

/** A power cut after every device operation of the workload (or after each of `options.cuts`). */
export async function runCrashPoints(options: CrashOptions): Promise<CrashReport> {
  const random = mulberry32(seedFor(options.seed, -1));
  const { disk, trace, failures } = await startRun(options, () => random() < options.failureRate);
  const images = new CrashImages(disk.ops, options.blocks);
  const cuts = options.cuts ?? Array.from({ length: disk.ops.length + 1 }, (_, cut) => cut);
  for (const cut of cuts) {
    const problems = await checkCut(trace, images, cut, cut % options.writeAfterReopenEvery === 0);
    failures.push(...problems.map((message) => ({ opIndex: opAt(trace, cut), cut, message })));
  }
  return summary(options, disk, trace, cuts.length, failures);
}

/**
 * A failure of every write and of every flush of the workload: run k fails the n-th write (or
 * flush) for each n = k mod `stride`. The running store is checked after every operation, and a
 * power cut after every device operation from each failure to the end of the next operation that
 * succeeds is checked too.
 */
export async function runFailurePoints(
  options: CrashOptions & { readonly stride: number; readonly only?: { readonly kind: DeviceOpKind; readonly phase: number } },
): Promise<CrashReport & { runs: number }> {
  const failures: Failure[] = [];
  let cutPoints = 0;
  let injected = 0;
  let deviceOps = 0;
  let written = 0;
  let runs = 0;
  for (const kind of ["write", "flush"] as const) {
    for (let phase = 0; phase < options.stride; phase++) {
      if (options.only !== undefined && (options.only.kind !== kind || options.only.phase !== phase)) continue;
      let seen = 0;
      const run = await startRun(options, (what) => what === kind && seen++ % options.stride === phase);
      runs++;
      failures.push(...run.failures.map((failure) => ({ ...failure, message: `--fail ${kind} --phase ${phase}: ${failure.message}` })));
      const { disk, trace } = run;
      deviceOps += disk.ops.length;
      written += blocksWritten(disk);
      const images = new CrashImages(disk.ops, options.blocks);
      let checkedTo = 0;
      injected += disk.ops.filter((op) => op.failed).length;
      for (let index = 0; index < disk.ops.length; index++) {
        if (!disk.ops[index].failed) continue;
        const failedOp = opAt(trace, index + 1);
        const recovered = trace.records.findIndex((record, i) => i > failedOp && record.outcome === "ok" && record.end > record.begin);
        const until = recovered === -1 ? disk.ops.length : trace.records[recovered].end;
        for (let cut = Math.max(index + 1, checkedTo); cut <= until; cut++) {
          const problems = await checkCut(trace, images, cut, cut % options.writeAfterReopenEvery === 0);
          failures.push(...problems.map((message) => ({ opIndex: opAt(trace, cut), cut, message: `--fail ${kind} --phase ${phase}: ${message}` })));
          cutPoints++;
        }
        checkedTo = until + 1;
      }
    }
  }
  return { seed: options.seed, ops: options.ops, deviceOps, blocksWritten: written, cutPoints, injectedFailures: injected, fullAnswers: 0, failures, runs };
}
