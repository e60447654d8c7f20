// virtio-scsi against virtio-blk on the same image in one run (scsitest image, `scsi=bench`): the
// image is attached read-only both as a virtio-blk disk and as a scsi-hd unit, and the guest
// measures 1 MiB sequential reads and 4 KiB random reads at QD1 and QD32 on one, then the other.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { boot } from "../lib/qemu";
import { scsiMachineArgs } from "../machines/scsi";

const DISK_BYTES = 256 * 1024 * 1024;
const SECONDS = 3;
const BENCH_TIMEOUT_MS = 120_000;
const FIGURE = /^scsi bench (\S+) (\S+) (.*)$/gm;

export async function benchScsi(): Promise<void> {
  await buildApps(["scsitest"]);
  const dir = mkdtempSync(join(tmpdir(), "vireo-scsi-bench-"));
  try {
    const file = join(dir, "disk.raw");
    writeFileSync(file, randomBytes(DISK_BYTES));
    const result = await boot({
      app: "scsitest",
      append: `scsi=bench seconds=${SECONDS} mib=${DISK_BYTES / (1024 * 1024)}`,
      timeoutMs: BENCH_TIMEOUT_MS,
      qemuArgs: [
        "-drive", `file=${file},format=raw,if=none,id=blk0,readonly=on,cache=unsafe`,
        "-device", "virtio-blk-pci,drive=blk0,serial=blk",
        ...scsiMachineArgs("pc", [{ file, serial: "scsi", readOnly: true, cache: "unsafe" }]),
      ],
    });
    if (result.status !== 0) throw new Error(`scsi bench failed:\n${result.output}`);
    for (const [, disk, name, figure] of result.output.matchAll(FIGURE)) console.log(`scsi bench: ${disk} ${name}: ${figure}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
