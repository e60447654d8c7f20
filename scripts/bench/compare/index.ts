// `npm run bench -- compare`: a stock Linux guest (Debian's kernel and its own virtio drivers,
// busybox httpd, fio) and Vireo on the same virtual hardware (QEMU -M pc, the same memory, a
// virtio-blk disk on the same raw file, virtio-net with user networking), one after the other in
// one run, with the same workloads: QEMU start -> ready, blk 1 MiB sequential write and read at
// queue depth 4, 4 KiB random reads at QD1 and QD32, HTTP small and 1 MiB responses. Prints both
// figures and their ratio and writes an SVG bar chart of the ratios to build/bench/compare.svg.
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webFileBytes } from "../../../images/httpbench/web-files";
import { buildApps } from "../../lib/build-apps";
import { BUILD_DIR } from "../../lib/paths";
import { boot, launch, type Guest } from "../../lib/qemu";
import { printTable } from "../table";
import { ratioChart } from "./chart";
import { httpRate, waitForHttp } from "../http-load";
import { BENCH_SERIAL, LINUX_FIO_DONE, LINUX_READY, prepareLinuxGuest, type FioJob } from "./linux-guest";

const MEMORY = "256M";
const DISK_MIB = 256;
const RANDOM_SECONDS = 3;
const SEQ_DEPTH = 4;
const HTTP_PORT = 18490;
const SMALL_BYTES = 13;
const LARGE_BYTES = 1024 * 1024;
const SEED = 0x5eed;
const SMALL_REQUESTS = 200;
const LARGE_REQUESTS = 8;
const READY_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 600_000;
const BYTES_PER_MB = 1e6;
const GUEST_ADDRESS = "ip=10.0.2.15/24 gw=10.0.2.2";

const FIO_JOBS: readonly FioJob[] = [
  { name: "seq-write", options: `--rw=write --bs=1M --iodepth=${SEQ_DEPTH} --size=${DISK_MIB}M` },
  { name: "seq-read", options: `--rw=read --bs=1M --iodepth=${SEQ_DEPTH} --size=${DISK_MIB}M` },
  { name: "rand-read-qd1", options: `--rw=randread --bs=4k --iodepth=1 --runtime=${RANDOM_SECONDS} --time_based` },
  { name: "rand-read-qd32", options: `--rw=randread --bs=4k --iodepth=32 --runtime=${RANDOM_SECONDS} --time_based` },
];

interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly linux: number;
  readonly vireo: number;
}

type Side = Record<string, number>;

function machineArgs(disk: string, extraDisks: string[] = []): string[] {
  return [
    "-M", "pc",
    "-drive", `file=${disk},format=raw,cache=unsafe,if=none,id=bench`,
    "-device", `virtio-blk-pci,drive=bench,serial=${BENCH_SERIAL}`,
    ...extraDisks,
    "-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${HTTP_PORT}-:80`,
    "-device", "virtio-net-pci,netdev=n0",
  ];
}

const SMALL = webFileBytes(SMALL_BYTES, SEED);
const LARGE = webFileBytes(LARGE_BYTES, SEED + 1);

async function measureHttp(side: Side): Promise<void> {
  await waitForHttp(HTTP_PORT, "/small", SMALL, READY_TIMEOUT_MS);
  for (const concurrency of [1, 8]) {
    side[`http-small-c${concurrency}`] = (await httpRate(HTTP_PORT, "/small", SMALL, concurrency, SMALL_REQUESTS)).requestsPerSecond;
  }
  side["http-1mib"] = (await httpRate(HTTP_PORT, "/large", LARGE, 1, LARGE_REQUESTS)).bytesPerSecond / BYTES_PER_MB;
}

function fioFigures(output: string, side: Side): void {
  for (const job of FIO_JOBS) {
    const match = new RegExp(`compare: fio ${job.name} begin\\n([\\s\\S]*?)compare: fio ${job.name} end`).exec(output);
    const start = match?.[1].indexOf("{") ?? -1;
    const json = start >= 0 ? match?.[1].slice(start) : undefined;
    if (!json) throw new Error(`the Linux guest printed no fio report for ${job.name}:\n${output.slice(-4000)}`);
    const report = JSON.parse(json) as { jobs: { read: { bw_bytes: number; iops: number }; write: { bw_bytes: number } }[] };
    const [result] = report.jobs;
    if (job.name === "seq-write") side[job.name] = result.write.bw_bytes / BYTES_PER_MB;
    else if (job.name === "seq-read") side[job.name] = result.read.bw_bytes / BYTES_PER_MB;
    else side[job.name] = result.read.iops;
  }
}

async function runLinux(disk: string, progress: (line: string) => void): Promise<Side> {
  const guest = prepareLinuxGuest(join(BUILD_DIR, "linux-guest"), FIO_JOBS, [{ name: "small", data: SMALL }, { name: "large", data: LARGE }], progress);
  const side: Side = {};
  const started = Date.now();
  const running: Guest = launch({
    kernel: guest.kernel,
    append: "console=ttyS0 quiet panic=-1",
    memory: MEMORY,
    timeoutMs: RUN_TIMEOUT_MS,
    qemuArgs: [
      "-initrd", guest.initrd,
      ...machineArgs(disk, ["-drive", `file=${guest.toolsDisk},format=raw,readonly=on,if=none,id=tools`, "-device", `virtio-blk-pci,drive=tools,serial=${guest.toolsSerial}`]),
    ],
  });
  try {
    await running.waitFor(new RegExp(LINUX_READY), READY_TIMEOUT_MS);
    side.ready = Date.now() - started;
    await running.waitFor(new RegExp(LINUX_FIO_DONE), RUN_TIMEOUT_MS);
    fioFigures(running.output, side);
    await measureHttp(side);
  } finally {
    await running.stop();
  }
  return side;
}

async function runVireo(disk: string): Promise<Side> {
  const side: Side = {};
  const blk = await boot({
    app: "blktest",
    append: `blk=bench seconds=${RANDOM_SECONDS} mib=${DISK_MIB}`,
    memory: MEMORY,
    timeoutMs: RUN_TIMEOUT_MS,
    qemuArgs: machineArgs(disk),
  });
  if (blk.status !== 0) throw new Error(`blktest failed:\n${blk.output}`);
  for (const name of FIO_JOBS.map((job) => job.name)) {
    const match = new RegExp(`^blk bench ${name} ([\\d.]+) (MB/s|IOPS)`, "m").exec(blk.output);
    if (!match) throw new Error(`blktest printed no ${name} figure:\n${blk.output}`);
    side[name] = Number(match[1]);
  }
  const started = Date.now();
  const running = launch({
    app: "httpbench",
    append: `${GUEST_ADDRESS} small=${SMALL_BYTES} large=${LARGE_BYTES} seed=${SEED}`,
    memory: MEMORY,
    timeoutMs: RUN_TIMEOUT_MS,
    qemuArgs: machineArgs(disk),
  });
  try {
    await running.waitFor(/listening on http/, READY_TIMEOUT_MS);
    side.ready = Date.now() - started;
    await measureHttp(side);
  } finally {
    await running.stop();
  }
  return side;
}

function figures(linux: Side, vireo: Side): Figure[] {
  const figure = (name: string, unit: string, higherIsBetter = true): Figure => ({ name, unit, higherIsBetter, linux: linux[name], vireo: vireo[name] });
  return [
    figure("ready", "ms (QEMU start -> serving)", false),
    figure("seq-write", "MB/s (1 MiB, qd 4)"),
    figure("seq-read", "MB/s (1 MiB, qd 4)"),
    figure("rand-read-qd1", "IOPS (4 KiB)"),
    figure("rand-read-qd32", "IOPS (4 KiB)"),
    figure("http-small-c1", "requests/s (13 B, concurrency 1)"),
    figure("http-small-c8", "requests/s (13 B, concurrency 8)"),
    figure("http-1mib", "MB/s (1 MiB responses)"),
  ];
}

/** How many times better Vireo did (above 1: Vireo ahead). */
function ratio(figure: Figure): number {
  return figure.higherIsBetter ? figure.vireo / figure.linux : figure.linux / figure.vireo;
}

export async function benchCompare(): Promise<void> {
  const progress = (line: string) => console.log(`compare: ${line}`);
  await buildApps(["blktest", "httpbench"]);
  const dir = mkdtempSync(join(tmpdir(), "vireo-compare-"));
  try {
    // Written through once, so neither guest's first writes pay for the host allocating the file.
    const disk = join(dir, "disk.raw");
    const mebibyte = Buffer.alloc(1024 * 1024);
    const fd = openSync(disk, "w");
    for (let i = 0; i < DISK_MIB; i++) writeSync(fd, mebibyte);
    closeSync(fd);
    const linux = await runLinux(disk, progress);
    const vireo = await runVireo(disk);
    const rows = figures(linux, vireo);
    const cells = rows.map((f) => [f.name, f.unit, f.linux.toFixed(f.linux < 100 ? 1 : 0), f.vireo.toFixed(f.vireo < 100 ? 1 : 0), `${ratio(f).toFixed(2)}x`]);
    const head = ["figure", "unit", "Linux guest", "Vireo", "Vireo vs Linux"];
    console.log("compare: QEMU -M pc under TCG, user networking, the same raw disk file (cache=unsafe); ratios above 1 favour Vireo");
    printTable(head, cells, 2);
    const chartDir = join(BUILD_DIR, "bench");
    mkdirSync(chartDir, { recursive: true });
    const chart = join(chartDir, "compare.svg");
    writeFileSync(chart, ratioChart("Vireo against a Linux guest (same QEMU, same devices; above 1: Vireo ahead)", rows.map((f) => ({ label: f.name, ratio: ratio(f) }))));
    console.log(`compare: chart written to ${chart}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
