// Benchmarks. Usage: tsx scripts/bench.ts [boot ...] (default: all). Figures are rates, ratios
// and medians measured in one run; nothing here asserts on time.
import { benchBlk } from "./bench/blk";
import { benchBoot } from "./bench/boot";
import { benchVirtqueue } from "./bench/virtqueue";
import { buildApps } from "./lib/build-apps";

const BENCHES: Record<string, () => Promise<void>> = {
  boot: async () => {
    await buildApps(["demo"]);
    await benchBoot("demo");
  },
  blk: benchBlk,
  virtqueue: async () => {
    await buildApps(["vqbench"]);
    await benchVirtqueue();
  },
};

const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (!bench) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(", ")}`);
  await bench();
}
