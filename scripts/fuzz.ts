// Fuzzing, seeded and reproducible. Usage:
//   tsx scripts/fuzz.ts [--seed N] [--packets N] [--devices N] [--case N]
//   (default: a new seed, 1,000,000 packets, 1,000 device cases; 0 skips a section; --case runs
//   that one device case alone and shows all its steps)
// Prints what was tried and, for any failure, the seed and count that reproduce it, with the frame
// that was being delivered (packets) or the device, its faults and the last steps (devices).
import { runDeviceFuzz } from "../test/fuzz/device-fuzz";
import { runPacketFuzz } from "../test/fuzz/packet-fuzz";

interface Args {
  readonly seed: number;
  readonly packets: number;
  readonly devices: number;
  readonly case: number | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let seed = Date.now() % 1_000_000;
  let packets = 1_000_000;
  let devices = 1_000;
  let only: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (flag === "--seed" && Number.isInteger(value)) seed = value;
    else if (flag === "--packets" && Number.isInteger(value) && value >= 0) packets = value;
    else if (flag === "--devices" && Number.isInteger(value) && value >= 0) devices = value;
    else if (flag === "--case" && Number.isInteger(value) && value >= 0) only = value;
    else throw new Error(`unknown argument ${flag}; usage: npm run fuzz -- [--seed N] [--packets N] [--devices N] [--case N]`);
    i++;
  }
  return { seed, packets, devices: only === undefined ? devices : Math.max(devices, only + 1), case: only };
}

const args = parseArgs(process.argv.slice(2));
let failed = 0;

if (args.packets > 0) {
  const started = Date.now();
  console.log(`packet fuzzing: seed ${args.seed}, ${args.packets} packets`);
  const report = await runPacketFuzz({ seed: args.seed, packets: args.packets });
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `packet fuzzing: ${report.packets} packets (${report.mutated} damaged on the wire, ${report.madeUp} made up), ${report.cleanChecks} clean checks, ${seconds.toFixed(1)} s`,
  );
  for (const failure of report.failures) {
    console.log(`FAILURE ${failure.kind} after ${failure.packet} packets: ${failure.detail}`);
    if (failure.frame !== undefined) console.log(`  frame ${failure.frame}`);
    console.log(`  reproduce: npm run fuzz -- --seed ${failure.seed} --packets ${failure.packet + 1} --devices 0`);
  }
  failed += report.failures.length;
}

if (args.devices > 0) {
  const started = Date.now();
  console.log(`device fuzzing: seed ${args.seed}, ${args.case === undefined ? `${args.devices} cases` : `case ${args.case} alone`}`);
  const report = await runDeviceFuzz({ seed: args.seed, cases: args.devices, only: args.case });
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `device fuzzing: ${report.cases} cases (${report.probeFailures} refused at the probe), ${report.behaviours} device behaviours (${report.injections} misbehaviours, ${report.operations} operations), ${seconds.toFixed(1)} s, ${Math.round(report.behaviours / seconds)} behaviours/s`,
  );
  for (const failure of report.failures) {
    console.log(`FAILURE ${failure.kind} in case ${failure.case} at step ${failure.step}: ${failure.detail}`);
    console.log(`  ${failure.context}`);
    console.log(`  reproduce: npm run fuzz -- --seed ${failure.seed} --devices ${failure.case + 1} --packets 0 (alone, every step: --case ${failure.case})`);
  }
  failed += report.failures.length;
}

console.log(`${failed === 0 ? "no failures" : `${failed} failures`}`);
process.exitCode = failed === 0 ? 0 : 1;
