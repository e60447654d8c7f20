// Boot figures, pc and microvm side by side (boots alternate between the boards and the network
// variants): image size; host-observed time from QEMU's start to the first line on the serial
// console (the kernel prints nothing before TypeScript does) and to the demo's ready line, with
// DHCP and with a static `ip=` (which leaves the user network's DHCP round trips out); the
// guest's own time from kernel entry to TypeScript and to the app's main; the guest
// instructions to the same points (one boot under -icount shift=0, where a guest nanosecond is
// one instruction: the same count on every run, unlike wall time on a shared host); and the
// least memory the demo boots in.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { boot, type BootResult } from "../lib/qemu";
import { kernelPath } from "../lib/paths";
import { boardMachine } from "../machines/board";
import { demoMachine } from "../machines/demo";
import { BOARDS, type Board } from "../machines/types";
import { median } from "./stats";

const RUNS = 5;
const BOOT_TIMEOUT_MS = 60_000;
const READY_LINE = /^demo ready/m;
const BENCH_HTTP_PORT = 18380;
const ENTRY_TO_TS = /TypeScript started ([\d.]+) ms and main ran ([\d.]+) ms after kernel entry/;
const MEMORY_CANDIDATES_MIB = [2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64];
/** QEMU user networking's defaults: the guest's address, gateway and DNS server. */
const STATIC_IP = "ip=10.0.2.15/24 gw=10.0.2.2 dns=10.0.2.3";
/** A guest nanosecond per instruction; the RTC on the same virtual clock, so calibration holds. */
const ICOUNT_ARGS = ["-icount", "shift=0", "-rtc", "clock=vm"];

type Network = "dhcp" | "static";
const NETWORKS: readonly Network[] = ["dhcp", "static"];

interface BootTiming {
  firstLineMs: number;
  readyMs: number;
  entryToTsMs: number;
  entryToMainMs: number;
}

function machineArgs(disk: string, board: Board): string[] {
  return [...boardMachine(board).qemuArgs, ...demoMachine({ httpPort: BENCH_HTTP_PORT, board }, disk).qemuArgs];
}

function commandLine(network: Network): string {
  return network === "static" ? `${STATIC_IP} bench-exit` : "bench-exit";
}

interface DemoBoot {
  readonly board: Board;
  readonly network: Network;
  readonly disk: string;
  readonly extraArgs?: readonly string[];
  readonly memory?: string;
  readonly onOutput?: (text: string) => void;
}

function bootDemo(app: string, options: DemoBoot): Promise<BootResult> {
  return boot({
    app,
    entry: boardMachine(options.board).entry,
    timeoutMs: BOOT_TIMEOUT_MS,
    append: commandLine(options.network),
    memory: options.memory,
    qemuArgs: [...machineArgs(options.disk, options.board), ...(options.extraArgs ?? [])],
    onOutput: options.onOutput,
  });
}

function entryFigures(output: string): { entryToTsMs: number; entryToMainMs: number } {
  const entry = ENTRY_TO_TS.exec(output);
  return { entryToTsMs: entry ? Number(entry[1]) : NaN, entryToMainMs: entry ? Number(entry[2]) : NaN };
}

async function timeOneBoot(app: string, disk: string, board: Board, network: Network): Promise<BootTiming> {
  let firstLineMs = NaN;
  let readyMs = NaN;
  let seen = "";
  const started = performance.now();
  const onOutput = (text: string): void => {
    seen += text;
    const now = performance.now() - started;
    if (Number.isNaN(firstLineMs) && seen.includes("\n")) firstLineMs = now;
    if (Number.isNaN(readyMs) && READY_LINE.test(seen)) readyMs = now;
  };
  const result = await bootDemo(app, { board, network, disk, onOutput });
  if (result.status !== 0) throw new Error(`${app} on ${board} (${network}) did not exit cleanly:\n${result.output}`);
  return { firstLineMs, readyMs, ...entryFigures(result.output) };
}

async function leastMemoryMiB(app: string, disk: string, board: Board): Promise<number | undefined> {
  for (const mib of MEMORY_CANDIDATES_MIB) {
    const result = await bootDemo(app, { board, network: "static", disk, memory: `${mib}M` });
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
  const disk = (board: Board): string => join(dir, `${board}.img`);
  const key = (board: Board, network: Network): string => `${board} ${network}`;
  const timings = new Map<string, BootTiming[]>();
  for (let i = 0; i < RUNS; i++) {
    for (const network of NETWORKS) {
      for (const board of BOARDS) {
        const runs = timings.get(key(board, network)) ?? [];
        runs.push(await timeOneBoot(app, disk(board), board, network));
        timings.set(key(board, network), runs);
      }
    }
  }
  for (const network of NETWORKS) {
    for (const board of BOARDS) {
      const runs = timings.get(key(board, network)) ?? [];
      const pick = (field: keyof BootTiming): number => median(runs.map((t) => t[field]));
      const label = `boot ${board} ip=${network}`;
      console.log(`${label}: QEMU start -> first TypeScript line: median ${pick("firstLineMs").toFixed(1)} ms of ${RUNS}`);
      console.log(`${label}: QEMU start -> demo ready: median ${pick("readyMs").toFixed(1)} ms of ${RUNS}`);
      console.log(`${label}: kernel entry -> first TypeScript, -> main (guest clock): medians ${pick("entryToTsMs").toFixed(1)}, ${pick("entryToMainMs").toFixed(1)} ms`);
      // The first line is the main function's: what the host waited for beyond the guest's time to it.
      const beforeEntry = median(runs.map((t) => t.firstLineMs - t.entryToMainMs));
      console.log(`${label}: QEMU start -> kernel entry (first line less the guest's time to it): median ${beforeEntry.toFixed(1)} ms`);
    }
  }
  for (const board of BOARDS) {
    const result = await bootDemo(app, { board, network: "static", disk: disk(board), extraArgs: ICOUNT_ARGS });
    // A guest millisecond is a million instructions here.
    const { entryToTsMs, entryToMainMs } = entryFigures(result.output);
    console.log(`boot ${board} ip=static: guest instructions (-icount shift=0) kernel entry -> first TypeScript ${entryToTsMs.toFixed(1)} M, -> main ${entryToMainMs.toFixed(1)} M`);
  }
  for (const board of BOARDS) {
    const least = await leastMemoryMiB(app, disk(board), board);
    console.log(`boot ${board}: least -m that boots ${app} to ready (ip=static): ${least === undefined ? "none tried" : `${least}M`}`);
  }
  rmSync(dir, { recursive: true, force: true });
}
