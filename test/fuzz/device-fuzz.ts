/**
 * Device fuzzing: every driver (rng, blk, net, echo) on every transport (modern, legacy and
 * transitional PCI, mmio v1 and v2) and interrupt mode (MSI-X, INTx, polled), brought up by the
 * real probe in front of a device that misbehaves on purpose (before the probe and at random
 * moments of a random workload), then torn down. Invariants, checked after every step:
 * - nothing but a typed error escapes the probe, the drivers, the block layer or the event loop,
 *   and no promise rejects unhandled;
 * - the device never writes into memory the driver freed while the device owned it (the
 *   simulator reports it);
 * - no hang: each case has a bounded number of steps and of simulated time, every block request
 *   settles once the device is detached;
 * - live DMA regions stay bounded during the case and are all freed by the detach (unless the
 *   device never completed its reset: then the memory must stay, the device may still write it);
 * - the simulator's log of driver-side spec violations stays empty, except where the device made
 *   them unavoidable: after it lost its state behind the driver's back (a driver cannot know before
 *   it next reads the status); after its virtio capabilities were damaged (they point the driver's
 *   accesses at the wrong registers); FAILED written after a reset that never completed (the
 *   driver gives up on the device; the simulator flags any status write before the reset is seen);
 *   and a chain made available again while the device "still owns" it after the device returned
 *   its id twice (the driver took the first return as the completion and reused the descriptors;
 *   the repeat is indistinguishable from the completion of the reused chain); and blk requests
 *   beyond a size_max, seg_max, max_discard_sectors or max_write_zeroes_sectors the device changed
 *   at run time (requests already sized by the old limits, and a driver keeps its old limits when
 *   the new configuration is nonsense).
 * Seeded: a seed and a case count reproduce a run exactly; each case draws from its own stream.
 */
import type { VirtioDevice } from "../../drivers/virtio/device";
import { claimVirtioDevice } from "../../drivers/virtio/probe";
import { inject, prepareFaults, resume } from "./device-misbehaviour";
import { placeRig, randomSpec, type Rig, type RigSpec } from "./device-rig";
import { untyped, workloadFor, type Workload } from "./device-workload";
import { Prng } from "./prng";

export interface DeviceFuzzOptions {
  readonly seed: number;
  /** Fuzz cases: one device brought up, exercised while misbehaving, torn down. */
  readonly cases: number;
  /** Run only this case (as numbered in a failure), to reproduce it. */
  readonly only?: number;
}

export interface DeviceFuzzFailure {
  readonly seed: number;
  /** The case's number: `--devices` one more than this reproduces it. */
  readonly case: number;
  /** The step that broke the invariant (0: the probe; -1: the teardown). */
  readonly step: number;
  readonly kind: "exception" | "unhandled-rejection" | "dma" | "hang" | "memory" | "violation";
  readonly detail: string;
  /** The device, transport and interrupt mode, the faults before the probe and the last steps. */
  readonly context: string;
}

export interface DeviceFuzzReport {
  readonly seed: number;
  readonly cases: number;
  /** Misbehaviour injections (before the probe and during cases) plus workload operations. */
  readonly behaviours: number;
  readonly injections: number;
  readonly operations: number;
  /** Cases whose device did not reach "ready" at the probe (a typed failure). */
  readonly probeFailures: number;
  /** Distinct device kind, transport and interrupt mode combinations tried (44 exist). */
  readonly combinations: number;
  readonly failures: DeviceFuzzFailure[];
}

const MAX_FAILURES = 20;
const MIN_STEPS = 5;
const MAX_EXTRA_STEPS = 40;
const MAX_TURNS_PER_STEP = 3;
/** Loop turns after the teardown for every block request to settle. */
const SETTLE_TURNS = 50;
/** Simulated time a case may take: its waits are bounded, so this is never reached by a correct driver. */
const CASE_SIM_NS = 120_000_000_000;
/** Live DMA regions above what the probe left, at most (bounce buffers, request buffers in flight). */
const DMA_HEADROOM = 96;
/** Steps a failure shows (all of them when one case is run alone, to reproduce it). */
const HISTORY = 6;
/** Giving up on a device whose reset never completed: FAILED (0x80) is the one status write left. */
const FAILED_AFTER_STUCK_RESET = /status 0x80 written before a read confirmed the reset$/;
const REUSED_AFTER_REPEAT = /made available again while the device still owns it$/;

/** Each case's own generator, so that a case reproduces alone. */
function caseRandom(seed: number, index: number): Prng {
  return new Prng(Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b));
}

/** Lets promise jobs run (block requests settle through them). */
const yieldJobs = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface CaseTally {
  injections: number;
  operations: number;
  probeFailed: boolean;
}

class FuzzCase {
  readonly history: string[] = [];
  step = 0;
  excused = false;
  /** The device has returned used ids twice in this case. */
  repeatedIds = false;
  /** Violations the device's misbehaviour made unavoidable from some step on. */
  readonly excuses: RegExp[] = [];
  workloads: Workload[] = [];
  private violationsSeen = 0;

  constructor(
    readonly index: number,
    readonly seed: number,
    private readonly historyShown: number,
    readonly spec: RigSpec,
    readonly prepared: string[],
    private readonly failures: DeviceFuzzFailure[],
  ) {}

  fail(kind: DeviceFuzzFailure["kind"], detail: string): void {
    if (this.failures.length >= MAX_FAILURES) return;
    const spec = `${this.spec.kind} on ${this.spec.transport} (${this.spec.interrupts}${this.spec.kind === "echo" ? `, ${this.spec.echoQueues} queues` : ""})`;
    const context = `${spec}; before probe: ${this.prepared.join("; ") || "none"}; last steps: ${this.history.slice(-this.historyShown).join(" | ")}`;
    this.failures.push({ seed: this.seed, case: this.index, step: this.step, kind, detail, context });
  }

  note(what: string): void {
    this.history.push(`${this.step}:${what}`);
  }

  /** Invariants that hold after every step. */
  check(rig: Rig, dmaLimit: number): void {
    if (rig.model.faults.usedId === "repeat") this.repeatedIds = true;
    for (const error of rig.uncaught.splice(0)) this.fail("exception", `from the event loop: ${untyped(error) ?? String(error)}`);
    const entries = rig.machine.violations.entries;
    if (entries.length > this.violationsSeen) {
      const fresh = entries.slice(this.violationsSeen);
      this.violationsSeen = entries.length;
      const dma = fresh.filter((entry) => / freed while the (device|queue)/.test(entry));
      const faults = rig.model.faults;
      const unexcused = fresh.filter(
        (entry) =>
          !(faults.resetNeverCompletes && FAILED_AFTER_STUCK_RESET.test(entry)) &&
          !(this.repeatedIds && REUSED_AFTER_REPEAT.test(entry)) &&
          !this.excuses.some((excuse) => excuse.test(entry)),
      );
      if (dma.length > 0) this.fail("dma", dma.join("\n"));
      else if (!this.excused && unexcused.length > 0) this.fail("violation", unexcused.join("\n"));
    }
    if (rig.liveDma() > dmaLimit) this.fail("memory", `${rig.liveDma()} live DMA regions (limit ${dmaLimit})`);
    if (rig.machine.monotonicNs() > CASE_SIM_NS) this.fail("hang", `simulated time passed ${CASE_SIM_NS} ns`);
  }

  get pending(): number {
    return this.workloads.reduce((n, w) => n + w.pending, 0);
  }
}

export async function runDeviceFuzz(options: DeviceFuzzOptions): Promise<DeviceFuzzReport> {
  const failures: DeviceFuzzFailure[] = [];
  const tally: CaseTally = { injections: 0, operations: 0, probeFailed: false };
  let probeFailures = 0;
  /** The case running (a rejection may surface a job turn into the next case: it is charged there). */
  const running: { current?: FuzzCase } = {};
  const onRejection = (reason: unknown): void => running.current?.fail("unhandled-rejection", untyped(reason) ?? String(reason));
  const historyShown = options.only === undefined ? HISTORY : Number.POSITIVE_INFINITY;
  process.on("unhandledRejection", onRejection);
  let cases = 0;
  const combinations = new Set<string>();
  try {
    for (let index = options.only ?? 0; index < (options.only !== undefined ? options.only + 1 : options.cases) && failures.length < MAX_FAILURES; index++) {
      tally.probeFailed = false;
      const fuzz = await runCase(options.seed, index, historyShown, failures, tally, running);
      combinations.add(`${fuzz.spec.kind} ${fuzz.spec.transport} ${fuzz.spec.interrupts}`);
      if (tally.probeFailed) probeFailures++;
      cases++;
    }
    // Rejections are reported one job turn late.
    await yieldJobs();
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  const { injections, operations } = tally;
  return { seed: options.seed, cases, behaviours: injections + operations, injections, operations, probeFailures, combinations: combinations.size, failures };
}

async function runCase(
  seed: number,
  index: number,
  historyShown: number,
  failures: DeviceFuzzFailure[],
  tally: CaseTally,
  running: { current?: FuzzCase },
): Promise<FuzzCase> {
  const random = caseRandom(seed, index);
  const spec = randomSpec(random);
  const prepared: string[] = [];
  const fuzz = new FuzzCase(index, seed, historyShown, spec, prepared, failures);
  running.current = fuzz;
  let rig: Rig;
  try {
    rig = placeRig(spec, random, (model, pci) => {
      if (random.chance(0.4)) prepared.push(...prepareFaults(model, pci, random));
    });
    fuzz.excused = prepared.some((what) => what.includes(" cap "));
  } catch (error) {
    fuzz.fail("exception", `from the probe: ${untyped(error) ?? String(error)}`);
    return fuzz;
  }
  tally.injections += prepared.length;
  const probed = rig.probed;
  const device = probed?.device;
  fuzz.note(`probe: ${probed?.state ?? "nothing"}${probed?.error ? ` (${probed.error.message})` : ""}`);
  const probeError = probed?.error && untyped(probed.error);
  if (probeError !== undefined) fuzz.fail("exception", `probe: ${probeError}`);
  // A device that fails a transport check is never opened; one that fails later is failed and freed.
  const dmaLimit = rig.liveDma() + DMA_HEADROOM;
  fuzz.check(rig, dmaLimit);
  if (device === undefined || probed?.state !== "ready") {
    tally.probeFailed = true;
    await teardown(fuzz, rig, device);
    return fuzz;
  }

  const escape = (detail: string) => fuzz.fail("exception", detail);
  let workload = workloadFor(rig, device, escape);
  fuzz.workloads.push(workload);
  let instance = device.instance;
  const steps = MIN_STEPS + random.below(MAX_EXTRA_STEPS);
  for (fuzz.step = 1; fuzz.step <= steps; fuzz.step++) {
    const roll = random.below(100);
    if (roll < 30) {
      const { what, unavoidable, excuse } = inject(rig.model, random);
      if (unavoidable) fuzz.excused = true;
      if (excuse !== undefined) fuzz.excuses.push(excuse);
      fuzz.note(what);
      tally.injections++;
    } else if (roll < 35) {
      fuzz.note(lifecycle(fuzz, rig, device, random));
      tally.operations++;
    } else if (device.state === "ready") {
      if (device.instance !== instance) {
        instance = device.instance;
        if (!workload.serves(instance)) {
          workload = workloadFor(rig, device, escape);
          fuzz.workloads.push(workload);
        }
      }
      fuzz.note(workload.step(random));
      tally.operations++;
    }
    for (let turns = 1 + random.below(MAX_TURNS_PER_STEP); turns > 0; turns--) guardedTurn(fuzz, rig);
    if (random.chance(0.2)) rig.machine.waitForInterrupt(rig.machine.monotonicNs() + random.pick([1_000, 100_000, 10_000_000]));
    if (rig.spec.kind === "blk") await yieldJobs();
    fuzz.check(rig, dmaLimit);
  }
  fuzz.step = -1;
  await teardown(fuzz, rig, device);
  return fuzz;
}

function guardedTurn(fuzz: FuzzCase, rig: Rig): void {
  try {
    rig.turn();
  } catch (error) {
    fuzz.fail("exception", `from a loop turn: ${untyped(error) ?? String(error)}`);
  }
}

/** Recover, detach or claim again, as an owner of the device would. */
function lifecycle(fuzz: FuzzCase, rig: Rig, device: VirtioDevice, random: Prng): string {
  const probed = rig.probed;
  try {
    if (device.state === "ready" && random.chance(0.5)) return `recover: ${device.recover() ? "ready" : `failed (${device.error?.message})`}`;
    if (device.state === "ready") {
      device.detach();
      return "detach";
    }
    if (device.state === "detached" && probed !== undefined) return `claim: ${claimVirtioDevice(probed, rig.driver) ? "ready" : `failed (${device.error?.message})`}`;
    return `nothing (${device.state})`;
  } catch (error) {
    const why = untyped(error);
    if (why !== undefined) fuzz.fail("exception", `lifecycle: ${why}`);
    return `lifecycle threw ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    const why = device.error && untyped(device.error);
    if (why !== undefined) fuzz.fail("exception", `device failed with ${why}`);
  }
}

/**
 * Detach (or the failed device as it is), let the loop run so every request settles, and check
 * that the device's DMA memory is back, unless its reset never completed.
 */
async function teardown(fuzz: FuzzCase, rig: Rig, device: VirtioDevice | undefined): Promise<void> {
  const model = rig.model;
  if (model.holdCompletions) resume(model, new Prng(0));
  if (device?.state === "ready") {
    try {
      device.detach();
      fuzz.note("detach");
    } catch (error) {
      const why = untyped(error);
      if (why !== undefined) fuzz.fail("exception", `detach: ${why}`);
    }
  }
  for (let turns = 0; turns < SETTLE_TURNS && fuzz.pending > 0; turns++) {
    guardedTurn(fuzz, rig);
    await yieldJobs();
  }
  await yieldJobs();
  if (fuzz.pending > 0) fuzz.fail("hang", `${fuzz.pending} requests still pending after the device was torn down`);
  fuzz.check(rig, Number.POSITIVE_INFINITY);
  const kept = device?.platform.dmaRegions ?? 0;
  const resetStuck = model.faults.resetNeverCompletes;
  if (!resetStuck && (kept > 0 || rig.liveDma() > 0)) {
    fuzz.fail("memory", `after the teardown ${kept} DMA regions of the device and ${rig.liveDma()} on the machine are still live`);
  }
}
