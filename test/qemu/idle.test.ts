// An idle demo machine must not keep the host busy: with its devices interrupt-driven, the guest
// halts between interrupts and timers, so QEMU's own CPU time barely moves while nothing happens.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { launch, type Guest } from "../../scripts/lib/qemu";
import { demoMachine } from "../../scripts/machines/demo";
import { freePort } from "./lib/ports";

const READY = /demo ready: listening on/;
const READY_TIMEOUT_MS = 60_000;
/** Let the boot's tail (DHCP, first timers) settle before measuring. */
const SETTLE_MS = 2_000;
const MEASURE_MS = 5_000;
const MAX_CPU_SHARE = 0.05;
/** /proc/<pid>/stat: utime and stime are fields 14 and 15, counted after the ")" that ends comm. */
const UTIME_AFTER_COMM = 11;
const STIME_AFTER_COMM = 12;
/** USER_HZ on Linux. */
const CLOCK_TICKS_PER_S = 100;

const dir = mkdtempSync(join(tmpdir(), "vireo-idle-"));
let guest: Guest | undefined;

afterAll(async () => {
  await guest?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** User plus system CPU seconds the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[UTIME_AFTER_COMM]) + Number(fields[STIME_AFTER_COMM])) / CLOCK_TICKS_PER_S;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it(
  "an idle demo machine uses under 5% of one host CPU",
  async () => {
    const machine = demoMachine({ httpPort: await freePort() }, join(dir, "kv.img"));
    guest = launch({ app: "demo", qemuArgs: [...machine.qemuArgs] });
    await guest.waitFor(READY, READY_TIMEOUT_MS);
    const pid = guest.pid;
    if (pid === undefined) throw new Error("QEMU has no pid");
    await sleep(SETTLE_MS);
    const before = cpuSeconds(pid);
    const started = performance.now();
    await sleep(MEASURE_MS);
    const share = (cpuSeconds(pid) - before) / ((performance.now() - started) / 1000);
    console.log(`idle: QEMU used ${(share * 100).toFixed(1)}% of one CPU over ${MEASURE_MS / 1000} s`);
    expect(share).toBeLessThan(MAX_CPU_SHARE);
  },
  READY_TIMEOUT_MS + SETTLE_MS + MEASURE_MS + 10_000,
);
