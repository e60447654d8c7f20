// Boot figures, pc and microvm side by side (boots alternate between the boards): image size,
// host-observed time to the first TypeScript line and to the app's ready line (median of several
// boots), kernel-entry-to-TypeScript time reported by the guest, and the least memory the demo
// boots in.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { boot } from "../lib/qemu";
import { kernelPath } from "../lib/paths";
import { boardMachine } from "../machines/board";
import { demoMachine } from "../machines/demo";
import { BOARDS, type Board } from "../machines/types";
import { median } from "./stats";

const RUNS = 5;
const BOOT_TIMEOUT_MS = 60_000;
// The boot report (PCI or mmio devices, then virtio) is the first thing TypeScript prints.
const FIRST_LINE = /^(pci|mmio|virtio) /m;
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

function machineArgs(disk: string, board: Board): string[] {
  return [...boardMachine(board).qemuArgs, ...demoMachine({ httpPort: BENCH_HTTP_PORT, board }, disk).qemuArgs];
}

async function timeOneBoot(app: string, disk: string, board: Board): Promise<BootTiming> {
  let firstLineMs = NaN;
  let readyMs = NaN;
  let seen = "";
  const started = performance.now();
  const result = await boot({
    app,
    entry: boardMachine(board).entry,
    timeoutMs: BOOT_TIMEOUT_MS,
    append: "bench-exit",
    qemuArgs: machineArgs(disk, board),
    onOutput: (text) => {
      seen += text;
      const now = performance.now() - started;
      if (Number.isNaN(firstLineMs) && FIRST_LINE.test(seen)) firstLineMs = now;
      if (Number.isNaN(readyMs) && READY_LINE.test(seen)) readyMs = now;
    },
  });
  if (result.status !== 0) throw new Error(`${app} on ${board} did not exit cleanly:\n${result.output}`);
  const entry = ENTRY_TO_TS.exec(result.output);
  return { firstLineMs, readyMs, entryToTsMs: entry ? Number(entry[1]) : NaN, entryToMainMs: entry ? Number(entry[2]) : NaN };
}

async function leastMemoryMiB(app: string, disk: string, board: Board): Promise<number | undefined> {
  for (const mib of MEMORY_CANDIDATES_MIB) {
    const entry = boardMachine(board).entry;
    const result = await boot({ app, entry, memory: `${mib}M`, append: "bench-exit", qemuArgs: machineArgs(disk, board), timeoutMs: BOOT_TIMEOUT_MS });
    if (result.status === 0) return mib;
  }
  return undefined;
}

export async function benchBoot(): Promise<void> {
  const app = "demo";
  await buildApps([app]);
  for (const board of BOARDS) {
    const size = statSync(kernelPath(app, boardMachine(board).entry)).size;
    console.log(`boot: ${app} kernel image for ${board} ${(size / 1024).toFixed(0)} KiB (${size} bytes)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "vireo-boot-bench-"));
  const timings = new Map<Board, BootTiming[]>(BOARDS.map((board) => [board, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const board of BOARDS) timings.get(board)!.push(await timeOneBoot(app, join(dir, `${board}.img`), board));
  }
  for (const board of BOARDS) {
    const runs = timings.get(board)!;
    const pick = (key: keyof BootTiming): string => median(runs.map((t) => t[key])).toFixed(1);
    console.log(`boot ${board}: QEMU start -> first TypeScript line: median ${pick("firstLineMs")} ms of ${RUNS}`);
    console.log(`boot ${board}: QEMU start -> ready line: median ${pick("readyMs")} ms of ${RUNS}`);
    console.log(`boot ${board}: kernel entry -> first TypeScript (guest clock): median ${pick("entryToTsMs")} ms of ${RUNS}`);
    console.log(`boot ${board}: kernel entry -> the app's main, all modules loaded (guest clock): median ${pick("entryToMainMs")} ms of ${RUNS}`);
  }
  for (const board of BOARDS) {
    const least = await leastMemoryMiB(app, join(dir, `${board}.img`), board);
    console.log(`boot ${board}: least -m that boots ${app}: ${least === undefined ? "none tried" : `${least}M`}`);
  }
  rmSync(dir, { recursive: true, force: true });
}
