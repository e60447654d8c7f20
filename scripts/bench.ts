// Benchmarks. Usage: tsx scripts/bench.ts [boot|blk|blk-rings|scsi|net|net-rings|virtqueue|http|http-tap|http-cost|console|engine|compare|9p ...] (default: all). Figures are rates, ratios
// and medians measured in one run; nothing here asserts on time.
import { bench9p } from "./bench/9p";
import { benchBlk, benchBlkRings } from "./bench/blk";
import { benchBoot } from "./bench/boot";
import { benchCompare } from "./bench/compare/index";
import { benchConsole } from "./bench/console";
import { benchEngine } from "./bench/engine";
import { benchHttp } from "./bench/http";
import { benchHttpCost } from "./bench/http-cost";
import { benchHttpTap } from "./bench/http-tap";
import { benchNet, benchNetRings } from "./bench/net";
import { benchScsi } from "./bench/scsi";
import { benchVirtqueue } from "./bench/virtqueue";

const BENCHES: Record<string, () => Promise<void>> = {
  boot: benchBoot,
  blk: benchBlk,
  "blk-rings": benchBlkRings,
  scsi: benchScsi,
  net: benchNet,
  "net-rings": benchNetRings,
  http: benchHttp,
  "http-tap": benchHttpTap,
  "http-cost": benchHttpCost,
  virtqueue: benchVirtqueue,
  console: benchConsole,
  engine: benchEngine,
  compare: benchCompare,
  "9p": bench9p,
};

const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (!bench) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(", ")}`);
  await bench();
}
