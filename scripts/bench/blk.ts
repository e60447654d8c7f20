// virtio-blk figures measured by the guest (blktest image, `blk=bench`): sequential 1 MiB reads
// and writes, 4 KiB random reads at QD1 and QD32, against a raw file (cache=unsafe) and against
// QEMU's null-co driver (no storage at all: the driver and virtqueue path alone). Then, on null-co,
// interrupts and notifications per request at QD1 and QD32 with and without EVENT_IDX, and the
// QD1 4 KiB read latency by interrupt against polling.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { boot } from "../lib/qemu";

const DISK_BYTES = 256 * 1024 * 1024;
const RANDOM_SECONDS = 3;
const BENCH_TIMEOUT_MS = 300_000;
const FIGURE = /^blk bench (?!ok )(\S+) (.*)$/gm;
const RANDOM_FIGURES = "figures=rand-read-qd1+rand-read-qd32";
/** The completion modes compared on null-co: [label, guest arguments, virtio-blk-pci properties]. */
const MODES: readonly [string, string, string][] = [
  ["interrupts, event-idx", "", ""],
  ["interrupts, no event-idx", "", ",event_idx=off"],
  ["polling, event-idx", " interrupts=off", ""],
];

async function run(label: string, drive: string, append = "", device = ""): Promise<void> {
  const result = await boot({
    app: "blktest",
    append: `blk=bench seconds=${RANDOM_SECONDS} mib=${DISK_BYTES / (1024 * 1024)}${append}`,
    timeoutMs: BENCH_TIMEOUT_MS,
    qemuArgs: ["-drive", `${drive},if=none,id=d0`, "-device", `virtio-blk-pci,drive=d0${device}`],
  });
  if (result.status !== 0) throw new Error(`blk bench (${label}) failed:\n${result.output}`);
  for (const [, name, figure] of result.output.matchAll(FIGURE)) console.log(`blk: ${label} ${name}: ${figure}`);
}

/** Split and packed rings on the same null-co disk, alternating, so that the two are compared in one run. */
const RING_LAYOUTS: readonly [string, string][] = [
  ["split ring", ",disable-legacy=on"],
  ["packed ring", ",disable-legacy=on,packed=on"],
];
const RING_ROUNDS = 2;

export async function benchBlkRings(): Promise<void> {
  await buildApps(["blktest"]);
  const nullCo = `driver=null-co,size=${DISK_BYTES},read-zeroes=on`;
  for (let round = 1; round <= RING_ROUNDS; round++) {
    for (const [label, device] of RING_LAYOUTS) await run(`null-co ${label} (round ${round})`, nullCo, ` ${RANDOM_FIGURES}`, device);
  }
}

export async function benchBlk(): Promise<void> {
  await buildApps(["blktest"]);
  const dir = mkdtempSync(join(tmpdir(), "vireo-blk-bench-"));
  try {
    const file = join(dir, "disk.raw");
    writeFileSync(file, "");
    truncateSync(file, DISK_BYTES);
    await run("raw file", `file=${file},format=raw,cache=unsafe`);
    const nullCo = `driver=null-co,size=${DISK_BYTES},read-zeroes=on`;
    await run("null-co", nullCo);
    for (const [label, append, device] of MODES) await run(`null-co ${label}`, nullCo, ` ${RANDOM_FIGURES}${append}`, device);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
