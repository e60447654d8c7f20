// Fuzzing, seeded and reproducible. Usage:
//   tsx scripts/fuzz.ts [--seed N] [--packets N]   (default: a new seed, 1,000,000 packets)
// Prints what was tried and, for any failure, the seed and packet count that reproduce it and the
// frame that was being delivered.
import { runPacketFuzz } from "../test/fuzz/packet-fuzz";

interface Args {
  readonly seed: number;
  readonly packets: number;
}

function parseArgs(argv: readonly string[]): Args {
  let seed = Date.now() % 1_000_000;
  let packets = 1_000_000;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (flag === "--seed" && Number.isInteger(value)) seed = value;
    else if (flag === "--packets" && Number.isInteger(value) && value > 0) packets = value;
    else throw new Error(`unknown argument ${flag}; usage: npm run fuzz -- [--seed N] [--packets N]`);
    i++;
  }
  return { seed, packets };
}

const args = parseArgs(process.argv.slice(2));
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
  console.log(`  reproduce: npm run fuzz -- --seed ${failure.seed} --packets ${failure.packet + 1}`);
}
console.log(`${report.failures.length === 0 ? "no failures" : `${report.failures.length} failures`}`);
process.exitCode = report.failures.length === 0 ? 0 : 1;
