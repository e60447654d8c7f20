// Boot figures: image size, host-observed time to the first TypeScript line and to the app's
// ready line (median of several boots), kernel-entry-to-TypeScript time reported by the guest,
// and the least memory the demo boots in.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { boot } from "../lib/qemu";
import { kernelPath } from "../lib/paths";
import { demoMachine } from "../machines/demo";
import { median } from "./stats";

const RUNS = 5;
const BOOT_TIMEOUT_MS = 60_000;
const FIRST_LINE = /Vireo demo:/;
const READY_LINE = /^demo ready/m;
const BENCH_HTTP_PORT = 18380;
const ENTRY_TO_TS = /TypeScript started ([\d.]+) ms and main ran ([\d.]+) ms after kernel entry/;
const MEMORY_CANDIDATES_MIB = [2, 3, 4, 5, 6, 8, 12, 16, 24, 32, 64];

interface BootTiming {
  firstLineMs: number;
  readyMs: number;
  entryToTsMs: number;
  entryToMainMs: number;
}

function machineArgs(disk: string): string[] {
  return [...demoMachine({ httpPort: BENCH_HTTP_PORT }, disk).qemuArgs];
}

async function timeOneBoot(app: string, disk: string): Promise<BootTiming> {
  let firstLineMs = NaN;
  let readyMs = NaN;
  let seen = "";
  const started = performance.now();
  const result = await boot({
    app,
    timeoutMs: BOOT_TIMEOUT_MS,
    append: "bench-exit",
    qemuArgs: machineArgs(disk),
    onOutput: (text) => {
      seen += text;
      const now = performance.now() - started;
      if (Number.isNaN(firstLineMs) && FIRST_LINE.test(seen)) firstLineMs = now;
      if (Number.isNaN(readyMs) && READY_LINE.test(seen)) readyMs = now;
    },
  });
  if (result.status !== 0) throw new Error(`${app} did not exit cleanly:\n${result.output}`);
  const entry = ENTRY_TO_TS.exec(result.output);
  return { firstLineMs, readyMs, entryToTsMs: entry ? Number(entry[1]) : NaN, entryToMainMs: entry ? Number(entry[2]) : NaN };
}

async function leastMemoryMiB(app: string, disk: string): Promise<number | undefined> {
  for (const mib of MEMORY_CANDIDATES_MIB) {
    const result = await boot({ app, memory: `${mib}M`, append: "bench-exit", qemuArgs: machineArgs(disk), timeoutMs: BOOT_TIMEOUT_MS });
    if (result.status === 0) return mib;
  }
  return undefined;
}

export async function benchBoot(): Promise<void> {
  const app = "demo";
  await buildApps([app]);
  const size = statSync(kernelPath(app)).size;
  console.log(`boot: ${app} kernel image ${(size / 1024).toFixed(0)} KiB (${size} bytes)`);
  const dir = mkdtempSync(join(tmpdir(), "vireo-boot-bench-"));
  const disk = join(dir, "kv.img");
  const timings: BootTiming[] = [];
  for (let i = 0; i < RUNS; i++) timings.push(await timeOneBoot(app, disk));
  const pick = (key: keyof BootTiming): string => median(timings.map((t) => t[key])).toFixed(1);
  console.log(`boot: QEMU start -> first TypeScript line: median ${pick("firstLineMs")} ms of ${RUNS}`);
  console.log(`boot: QEMU start -> ready line: median ${pick("readyMs")} ms of ${RUNS}`);
  console.log(`boot: kernel entry -> first TypeScript (guest clock): median ${pick("entryToTsMs")} ms of ${RUNS}`);
  console.log(`boot: kernel entry -> the app's main, all modules loaded (guest clock): median ${pick("entryToMainMs")} ms of ${RUNS}`);
  const least = await leastMemoryMiB(app, disk);
  rmSync(dir, { recursive: true, force: true });
  console.log(`boot: least -m that boots ${app}: ${least === undefined ? "none tried" : `${least}M`}`);
}
