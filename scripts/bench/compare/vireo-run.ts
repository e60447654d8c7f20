// Vireo's side of `bench -- compare`: the block workloads (the blktest image) once, and the HTTP
// workloads (the httpbench image) on a given network; over user networking with its start time.
import { boot, launch } from "../../lib/qemu";
import { DISK_MIB, FIO_JOBS, RANDOM_SECONDS } from "./blk-workloads";
import { httpbenchAppend, MEMORY, machineArgs, type CompareNetwork, type GuestRun } from "./machine";
import { offloadNames, vireoNetFeatures } from "./offloads";
import { overNetwork, type Side } from "./rows";

const READY_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 600_000;

/** What Vireo's CPU spent per request of a block workload (µs of guest time not halted), by workload name. */
export type BlkBusy = Record<string, number>;

export async function runVireoBlk(disk: string, network: CompareNetwork): Promise<{ figures: Side; busy: BlkBusy }> {
  const side: Side = {};
  const busy: BlkBusy = {};
  const blk = await boot({
    app: "blktest",
    append: `blk=bench seconds=${RANDOM_SECONDS} mib=${DISK_MIB}`,
    memory: MEMORY,
    timeoutMs: RUN_TIMEOUT_MS,
    wrapper: network.wrapper,
    qemuArgs: machineArgs(disk, network),
  });
  if (blk.status !== 0) throw new Error(`blktest failed:\n${blk.output}`);
  for (const name of FIO_JOBS.map((job) => job.name)) {
    const match = new RegExp(`^blk bench ${name} ([\\d.]+) (MB/s|IOPS)`, "m").exec(blk.output);
    if (!match) throw new Error(`blktest printed no ${name} figure:\n${blk.output}`);
    side[name] = Number(match[1]);
    const spent = new RegExp(`^blk bench ${name} .* ([\\d.]+) us guest busy$`, "m").exec(blk.output);
    if (spent) busy[name] = Number(spent[1]);
  }
  return { figures: side, busy };
}

export async function runVireoHttp(disk: string, network: CompareNetwork): Promise<GuestRun> {
  const side: Side = {};
  const started = Date.now();
  const running = launch({
    app: "httpbench",
    append: httpbenchAppend(network.guestAddress, network.gateway),
    memory: MEMORY,
    timeoutMs: RUN_TIMEOUT_MS,
    wrapper: network.wrapper,
    qemuArgs: machineArgs(disk, network),
  });
  try {
    await running.waitFor(/listening on http/, READY_TIMEOUT_MS);
    if (network.name === "user") side.ready = Date.now() - started;
    Object.assign(side, overNetwork(await network.measureHttp(), network.name));
    const cpuPerRequestUs = await network.vireoCpuPerRequest?.();
    return { figures: side, offloads: offloadNames(vireoNetFeatures(running.output)), cpuPerRequestUs };
  } finally {
    await running.stop();
  }
}
