// A seeded workload of puts (small to many-block values), overwrites and deletes, run against a
// store on a CrashDisk, and the model of what a store may hold after any prefix of it.
import { KvError } from "../../runtime/kv/errors";
import type { KvStore } from "../../runtime/kv/store";
import type { CrashDisk } from "./crash-disk";
import { mulberry32, seedFor } from "./random";

export type WorkloadOp = { readonly kind: "put"; readonly key: string; readonly length: number } | { readonly kind: "delete"; readonly key: string };

/** Device operations [begin, end) the store issued for one workload operation, and how it ended. */
export interface OpRecord {
  readonly begin: number;
  readonly end: number;
  readonly outcome: "ok" | "io" | "full";
}

export interface Trace {
  readonly seed: number;
  readonly ops: readonly WorkloadOp[];
  readonly records: OpRecord[];
}

/** A key's possible contents: the index of the put that wrote it, or ABSENT. */
export const ABSENT = -1;
export type Allowed = Map<string, Set<number>>;

const LONG_KEY = "long/".padEnd(200, "k");

/** `count` operations on `keys` keys plus one long key. */
export function generateWorkload(seed: number, count: number, keys: number): WorkloadOp[] {
  const random = mulberry32(seed);
  const ops: WorkloadOp[] = [];
  for (let i = 0; i < count; i++) {
    const slot = Math.floor(random() * (keys + 1));
    const key = slot === keys ? LONG_KEY : `key-${slot}`;
    if (random() < 0.15) {
      ops.push({ kind: "delete", key });
      continue;
    }
    const size = random();
    // Mostly sub-block values, some of a few blocks, some spanning up to 32 blocks.
    const length = size < 0.55 ? Math.floor(random() * 600) : size < 0.85 ? 600 + Math.floor(random() * 3500) : 4000 + Math.floor(random() * 12_000);
    ops.push({ kind: "put", key, length });
  }
  return ops;
}

const values = new Map<string, Uint8Array>();

/** The bytes put by operation `index` (deterministic in seed and index). */
export function valueOf(seed: number, index: number, length: number): Uint8Array {
  const name = `${seed}/${index}`;
  const known = values.get(name);
  if (known !== undefined) return known;
  const random = mulberry32(seedFor(seed, index));
  const value = new Uint8Array(length);
  for (let i = 0; i < length; i++) value[i] = (random() * 256) | 0;
  if (values.size > 4096) values.clear();
  values.set(name, value);
  return value;
}

/**
 * What each key may hold after the first `cut` device operations: an operation whose last device
 * operation came before the cut and that succeeded is certain; one in flight at the cut or one
 * that failed may or may not have happened.
 */
export function allowedAt(trace: Trace, cut: number): Allowed {
  const allowed: Allowed = new Map();
  for (let i = 0; i < trace.records.length; i++) {
    const record = trace.records[i];
    if (record.begin > cut || (record.begin === cut && record.end > cut)) break; // not started at the cut
    const op = trace.ops[i];
    const result = op.kind === "put" ? i : ABSENT;
    const before = allowed.get(op.key) ?? new Set([ABSENT]);
    if (record.end <= cut && record.outcome === "ok") allowed.set(op.key, new Set([result]));
    else allowed.set(op.key, before.add(result));
  }
  return allowed;
}

/**
 * Compares the store with `allowed` (only key `only` when given; `extra` may be present besides
 * the workload's keys); returns a description of each mismatch.
 */
export async function checkStore(store: KvStore, trace: Trace, allowed: Allowed, scope: { only?: string; extra?: string } = {}): Promise<string[]> {
  const { only, extra } = scope;
  const problems: string[] = [];
  const keys = only === undefined ? [...allowed.keys()] : [only];
  for (const key of keys) {
    const options = allowed.get(key) ?? new Set([ABSENT]);
    let value: Uint8Array | undefined;
    try {
      value = await store.get(key);
    } catch (error) {
      problems.push(`get(${short(key)}) threw ${String(error)}`);
      continue;
    }
    if (!matches(trace, value, options)) problems.push(`${short(key)} holds ${describe(value)}, expected one of ${[...options].map((o) => (o === ABSENT ? "absent" : `the value of op ${o}`)).join(", ")}`);
  }
  if (only === undefined) {
    for (const key of store.keys()) if (!allowed.has(key) && key !== extra) problems.push(`unexpected key ${short(key)}`);
  }
  return problems;
}

function matches(trace: Trace, value: Uint8Array | undefined, options: Set<number>): boolean {
  for (const option of options) {
    if (option === ABSENT) {
      if (value === undefined) return true;
      continue;
    }
    const op = trace.ops[option];
    if (value !== undefined && op.kind === "put" && equal(value, valueOf(trace.seed, option, op.length))) return true;
  }
  return false;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function describe(value: Uint8Array | undefined): string {
  return value === undefined ? "nothing" : `${value.length} bytes that match no allowed value`;
}

function short(key: string): string {
  return key.length > 24 ? `${key.slice(0, 12)}…(${key.length} chars)` : key;
}

/**
 * Runs the workload on `store` (on `disk`), recording each operation's device operations. After
 * every operation the store must hold what the model allows for that key (and for all keys every
 * `fullCheckEvery` operations); an operation must fail, with KvError "io", exactly when one of its
 * device operations failed ("full" is allowed too).
 */
export async function runWorkload(store: KvStore, disk: CrashDisk, trace: Trace, fullCheckEvery = 50): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < trace.ops.length; i++) {
    const op = trace.ops[i];
    const begin = disk.ops.length;
    let outcome: OpRecord["outcome"] = "ok";
    let failure: unknown;
    try {
      if (op.kind === "put") await store.put(op.key, valueOf(trace.seed, i, op.length));
      else await store.delete(op.key);
    } catch (error) {
      failure = error;
      outcome = error instanceof KvError && (error.code === "io" || error.code === "full") ? error.code : "io";
    }
    const end = disk.ops.length;
    trace.records.push({ begin, end, outcome });
    const injected = disk.ops.slice(begin, end).some((device) => device.failed);
    if (failure !== undefined && !(failure instanceof KvError && (failure.code === "full" || (failure.code === "io" && injected))))
      problems.push(`op ${i} (${op.kind}) rejected with ${String(failure)}${injected ? "" : " without an injected failure"}`);
    if (failure === undefined && injected) problems.push(`op ${i} (${op.kind}) resolved although a device operation failed`);
    const allowed = allowedAt(trace, end);
    const check = await checkStore(store, trace, allowed, { only: (i + 1) % fullCheckEvery === 0 ? undefined : op.key });
    problems.push(...check.map((problem) => `after op ${i}, the running store: ${problem}`));
  }
  return problems;
}
