// `npm run bench -- compare`: a stock Linux guest (Debian's kernel and its own virtio drivers,
// busybox httpd, fio) and Vireo on the same virtual hardware (machine.ts), one after the other in
// one run, with the same workloads: QEMU start -> ready, blk 1 MiB sequential write and read at
// queue depth 4, 4 KiB random reads at QD1 and QD32, HTTP small and 1 MiB responses over user
// networking; then the HTTP workloads again over a tap device against the host's Linux TCP stack
// (tap.ts; skipped, with the reason, where no network namespace can be made). Prints both figures
// and their ratio, which offloads each NIC negotiated, and writes an SVG bar chart of the ratios to
// build/bench/compare.svg.
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../../lib/build-apps";
import { BUILD_DIR } from "../../lib/paths";
import { printTable } from "../table";
import { DISK_MIB, FIO_JOBS } from "./blk-workloads";
import { ratioChart } from "./chart";
import { measureHttp, vireoCpuPerSmallRequest } from "./http-workloads";
import { prepareLinuxGuest, type LinuxGuest } from "./linux-guest";
import { runLinux } from "./linux-run";
import { LARGE, NET_DEVICE, SMALL, type CompareNetwork, type GuestRun } from "./machine";
import { compareRows, ratio, tableCells, type Side } from "./rows";
import { TAP_NETWORK_NAME, createTapNamespace, tapNetwork } from "./tap";
import { runVireoBlk, runVireoHttp, type BlkBusy } from "./vireo-run";

const LOOPBACK = "127.0.0.1";
/** The host port user networking forwards to the guest's HTTP port. */
const HTTP_PORT = 18490;
const GUEST_HTTP_PORT = 80;

const USER_NETWORK: CompareNetwork = {
  name: "user",
  netdev: `user,id=net0,hostfwd=tcp:${LOOPBACK}:${HTTP_PORT}-:${GUEST_HTTP_PORT}`,
  guestAddress: "10.0.2.15/24",
  gateway: "10.0.2.2",
  measureHttp: () => measureHttp(LOOPBACK, HTTP_PORT),
  vireoCpuPerRequest: () => vireoCpuPerSmallRequest(LOOPBACK, HTTP_PORT),
};

interface Sides {
  readonly linux: Side;
  readonly vireo: Side;
}

/** Adds both guests' figures from `network` to `sides` and prints the offloads each NIC negotiated. */
function record(network: CompareNetwork, linux: GuestRun, vireo: GuestRun, sides: Sides, progress: (line: string) => void): void {
  Object.assign(sides.linux, linux.figures);
  Object.assign(sides.vireo, vireo.figures);
  progress(`offloads negotiated over ${network.name} (both guests: -device ${NET_DEVICE} -netdev ${network.netdev}):`);
  progress(`  Linux guest: ${linux.offloads.join(" ") || "none"}`);
  progress(`  Vireo:       ${vireo.offloads.join(" ") || "none"}`);
}

/** The HTTP workloads over tap, in a network namespace made for them; the reason when there can be none. */
async function runOverTap(guest: LinuxGuest, disk: string, sides: Sides, progress: (line: string) => void): Promise<string | undefined> {
  const namespace = createTapNamespace();
  if (typeof namespace === "string") return namespace;
  try {
    const network = tapNetwork(namespace);
    const linux = await runLinux(guest, disk, network);
    record(network, linux, await runVireoHttp(disk, network), sides, progress);
  } finally {
    namespace.delete();
  }
  return undefined;
}

/**
 * What bounds the random-read and small-HTTP rows: Vireo's own CPU time per request (guest time not halted)
 * beside the Linux guest's whole time per request at the same depth. Where the first is larger,
 * no device or host change can bring Vireo level: only spending fewer instructions per request.
 */
function printBusy(busy: BlkBusy, linux: Side, httpCpuUs: number | undefined): void {
  const line = (name: string, vireoUs: number, linuxRate: number) =>
    console.log(`compare: ${name}: Vireo's CPU per request ${vireoUs.toFixed(1)} us; the Linux guest's whole request ${(1e6 / linuxRate).toFixed(1)} us (1 / rate)`);
  for (const name of ["rand-read-qd1", "rand-read-qd32"]) if (name in busy && name in linux) line(name, busy[name], linux[name]);
  if (httpCpuUs !== undefined && "http-small-c1" in linux) line("http-small-c1", httpCpuUs, linux["http-small-c1"]);
}

export async function benchCompare(): Promise<void> {
  const progress = (line: string) => console.log(`compare: ${line}`);
  await buildApps(["blktest", "httpbench"]);
  const guest = prepareLinuxGuest(join(BUILD_DIR, "linux-guest"), FIO_JOBS, [{ name: "small", data: SMALL }, { name: "large", data: LARGE }], progress);
  const dir = mkdtempSync(join(tmpdir(), "vireo-compare-"));
  try {
    // Written through once, so neither guest's first writes pay for the host allocating the file.
    const disk = join(dir, "disk.raw");
    const mebibyte = Buffer.alloc(1024 * 1024);
    const fd = openSync(disk, "w");
    for (let i = 0; i < DISK_MIB; i++) writeSync(fd, mebibyte);
    closeSync(fd);
    const sides: Sides = { linux: {}, vireo: {} };
    // The Linux guest's user-networking boot runs its fio jobs first, then serves HTTP; Vireo
    // runs the same block workloads in an image of their own.
    const linux = await runLinux(guest, disk, USER_NETWORK);
    const blk = await runVireoBlk(disk, USER_NETWORK);
    Object.assign(sides.vireo, blk.figures);
    const vireoHttp = await runVireoHttp(disk, USER_NETWORK);
    record(USER_NETWORK, linux, vireoHttp, sides, progress);
    const tapSkipped = await runOverTap(guest, disk, sides, progress);
    if (tapSkipped) progress(`the tap rows were skipped: ${tapSkipped}`);
    const rows = compareRows(sides.linux, sides.vireo, [USER_NETWORK.name, TAP_NETWORK_NAME]);
    const head = ["figure", "unit", "Linux guest", "Vireo", "Vireo vs Linux"];
    console.log("compare: QEMU -M pc under TCG, user networking (tap: the host's TCP stack through a tap device), the same raw disk file (cache=unsafe); ratios above 1 favour Vireo");
    printTable(head, rows.map(tableCells), 2);
    printBusy(blk.busy, sides.linux, vireoHttp.cpuPerRequestUs);
    const chartDir = join(BUILD_DIR, "bench");
    mkdirSync(chartDir, { recursive: true });
    const chart = join(chartDir, "compare.svg");
    writeFileSync(chart, ratioChart("Vireo against a Linux guest (same QEMU, same devices; above 1: Vireo ahead)", rows.map((f) => ({ label: f.name, ratio: ratio(f) }))));
    console.log(`compare: chart written to ${chart}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
