// `scsi=bench`: 1 MiB sequential reads and 4 KiB random reads at queue depth 1 and 32 on every
// disk, one disk after another in one run (a virtio-blk disk and a SCSI unit over the same image
// compare the two paths). Prints `scsi bench <disk> <figure> <text>` lines.
import { ScsiLun } from "../../drivers/virtio/scsi/lun";
import type { Command } from "../blktest/commands";
import { randomReads, sequential } from "../blktest/bench";
import { blockDevices } from "../../runtime/block/registry";

const DEFAULT_SECONDS = 2;
const DEFAULT_MIB = 64;
const MIB = 1024 * 1024;

export const benchAgainstBlk: Command = async (_disk, args, now) => {
  const seconds = Number(args.get("seconds") ?? DEFAULT_SECONDS);
  const limitBytes = Number(args.get("mib") ?? DEFAULT_MIB) * MIB;
  for (const disk of blockDevices()) {
    const kind = disk.driver instanceof ScsiLun ? "scsi" : "blk";
    const label = `${kind}:${disk.name}`;
    console.log(`scsi bench ${label} seq-read ${(await sequential(disk, now, false, limitBytes))[0]}`);
    console.log(`scsi bench ${label} rand-read-qd1 ${(await randomReads(disk, now, 1, seconds))[0]}`);
    console.log(`scsi bench ${label} rand-read-qd32 ${(await randomReads(disk, now, 32, seconds))[0]}`);
  }
  return `disks=${blockDevices().length}`;
};
