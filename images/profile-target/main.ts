// The sampling profiler's test subject: most of its time goes to one named, deliberately slow
// function, called through a method from an outer function, for `work.ms` milliseconds (default 3000); then the machine
// ends with status 0. npm run profile -- profile-target
import { commandLine, exit } from "../../runtime/app/index";

const DEFAULT_WORK_MS = 3000;
const ROUNDS_PER_CHECK = 20;
const VALUES = 4096;
/** Keeps the sum a small integer, on the interpreter's integer fast path. */
const CHECKSUM_MASK = 0xffff;
const WEIGHT = 7;

/** A checksum over a typed array, the slow way: the function the profile must put on top. */
function spinChecksum(values: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum = (sum + values[i] * WEIGHT) & CHECKSUM_MASK;
  return sum;
}

/** A method between them: the profile names it too (the engine compiles methods without a name). */
class Rounds {
  run(values: Int32Array): number {
    let checksum = 0;
    for (let i = 0; i < ROUNDS_PER_CHECK; i++) checksum ^= spinChecksum(values);
    return checksum;
  }
}

/** The outer caller the profile must show. */
function workUntil(deadlineMs: number, values: Int32Array): number {
  const work = new Rounds();
  let rounds = 0;
  let checksum = 0;
  while (performance.now() < deadlineMs) {
    checksum ^= work.run(values);
    rounds += ROUNDS_PER_CHECK;
  }
  console.log(`profile-target: ${rounds} rounds, checksum ${checksum}`);
  return rounds;
}

const values = new Int32Array(VALUES).map((_, i) => i);
workUntil(performance.now() + Number(commandLine.get("work.ms") ?? DEFAULT_WORK_MS), values);
exit(0);
