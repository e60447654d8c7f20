// The engine micro-benchmark: the workloads of images/enginebench/workloads.ts under Node and in
// the guest, side by side in one run. The guest runs them twice: timed under TCG (noisy, moves
// with the host's load) and under -icount shift=0, where its clock counts guest instructions (the
// figure to compare engine changes by). Checksums must agree with Node's: the engines computed
// the same thing. Prints ops/s and instructions per operation.
import { ENGINE_LINE, ENGINE_WORKLOADS } from "../../images/enginebench/workloads";
import { buildApps } from "../lib/build-apps";
import { boot } from "../lib/qemu";
import { printTable } from "./table";

const GUEST_TIMEOUT_MS = 600_000;
const NS_PER_S = 1e9;

interface Figure {
  readonly nsPerOp: number;
  readonly checksum: number;
}

function parseGuest(output: string): Map<string, Figure> {
  const figures = new Map<string, Figure>();
  for (const match of output.matchAll(ENGINE_LINE)) figures.set(match[1], { nsPerOp: Number(match[2]), checksum: Number(match[3]) });
  return figures;
}

async function runUnderNode(): Promise<Map<string, Figure>> {
  const figures = new Map<string, Figure>();
  for (const workload of ENGINE_WORKLOADS) {
    const begin = process.hrtime.bigint();
    const checksum = await workload.run(workload.iterations);
    figures.set(workload.name, { nsPerOp: Number(process.hrtime.bigint() - begin) / workload.iterations, checksum });
  }
  return figures;
}

/** Engine settings compared side by side, each chosen by a boot option. */
const VARIANTS = [
  { label: "C library malloc", append: "engine.malloc=libc" },
  { label: "size-class heap", append: "" },
] as const;

async function runInGuest(append: string, qemuArgs: string[], what: string): Promise<Map<string, Figure>> {
  const result = await boot({ app: "enginebench", append, qemuArgs, timeoutMs: GUEST_TIMEOUT_MS });
  if (result.status !== 0) throw new Error(`enginebench (${what}) failed:\n${result.output}`);
  return parseGuest(result.output);
}

function figureOf(figures: Map<string, Figure>, name: string, reference: Figure): Figure {
  const figure = figures.get(name);
  if (!figure) throw new Error(`enginebench printed no figure for ${name}`);
  if (figure.checksum !== reference.checksum) throw new Error(`${name}: guest checksum ${figure.checksum}, Node ${reference.checksum}`);
  return figure;
}

export async function benchEngine(): Promise<void> {
  await buildApps(["enginebench"]);
  const node = await runUnderNode();
  const runs = [];
  for (const variant of VARIANTS) {
    runs.push({
      timed: await runInGuest(variant.append, [], `${variant.label}, TCG`),
      counted: await runInGuest(variant.append, ["-icount", "shift=0"], `${variant.label}, -icount`),
    });
  }
  const [base, changed] = runs;
  const rows = ENGINE_WORKLOADS.map((workload) => {
    const reference = node.get(workload.name);
    if (!reference) throw new Error(`no Node figure for ${workload.name}`);
    const [baseTimed, baseCounted, timed, counted] = [base.timed, base.counted, changed.timed, changed.counted].map((figures) => figureOf(figures, workload.name, reference));
    return [
      workload.name,
      (NS_PER_S / baseTimed.nsPerOp).toFixed(0),
      (NS_PER_S / timed.nsPerOp).toFixed(0),
      baseCounted.nsPerOp.toFixed(0),
      counted.nsPerOp.toFixed(0),
      (baseCounted.nsPerOp / counted.nsPerOp).toFixed(2),
      (timed.nsPerOp / reference.nsPerOp).toFixed(0),
    ];
  });
  const [a, b] = VARIANTS.map((variant) => variant.label);
  console.log(`engine: QuickJS in the guest, "${a}" (boot option ${VARIANTS[0].append}) against "${b}" (the default);`);
  console.log("instructions counted under QEMU -icount shift=0 (independent of host load); ops/s timed under TCG (noisy)");
  printTable(["workload", `ops/s ${a}`, `ops/s ${b}`, `instr/op ${a}`, `instr/op ${b}`, "speed-up", "guest/Node time"], rows);
}
