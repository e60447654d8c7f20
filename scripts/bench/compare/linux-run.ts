// One boot of the Linux guest for `bench -- compare` on a given network: over user networking it
// also runs the fio jobs and reports its start time; over any other network, HTTP only.
import { launch } from "../../lib/qemu";
import { FIO_JOBS } from "./blk-workloads";
import { LINUX_FIO_DONE, LINUX_READY, linuxGuestOptions, type LinuxGuest } from "./linux-guest";
import { MEMORY, machineArgs, type CompareNetwork, type GuestRun } from "./machine";
import { linuxNetFeatures, offloadNames } from "./offloads";
import { overNetwork, type Side } from "./rows";

const READY_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 600_000;
const BYTES_PER_MB = 1e6;

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

export async function runLinux(guest: LinuxGuest, disk: string, network: CompareNetwork): Promise<GuestRun> {
  const withBlk = network.name === "user";
  const side: Side = {};
  const started = Date.now();
  const running = launch({
    kernel: guest.kernel,
    append: `console=ttyS0 quiet panic=-1 ${linuxGuestOptions({ address: network.guestAddress, gateway: network.gateway, fio: withBlk })}`,
    memory: MEMORY,
    timeoutMs: RUN_TIMEOUT_MS,
    wrapper: network.wrapper,
    qemuArgs: [
      "-initrd", guest.initrd,
      ...machineArgs(disk, network, ["-drive", `file=${guest.toolsDisk},format=raw,readonly=on,if=none,id=tools`, "-device", `virtio-blk-pci,drive=tools,serial=${guest.toolsSerial}`]),
    ],
  });
  try {
    await running.waitFor(new RegExp(LINUX_READY), READY_TIMEOUT_MS);
    if (withBlk) {
      side.ready = Date.now() - started;
      await running.waitFor(new RegExp(LINUX_FIO_DONE), RUN_TIMEOUT_MS);
      fioFigures(running.output, side);
    }
    Object.assign(side, overNetwork(await network.measureHttp(), network.name));
    return { figures: side, offloads: offloadNames(linuxNetFeatures(running.output)) };
  } finally {
    await running.stop();
  }
}
