// virtio-9p figures from one boot of the fstest image on a host temp folder: MB/s writing and
// reading a 1 MiB file (best of `fs.rounds`, guest clock) and small-file operations per second
// (write, stat, read and remove of a 100-byte file, 50 times).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { boot } from "../lib/qemu";

const TIMEOUT_MS = 60_000;
const ROUNDS = 3;

export async function bench9p(): Promise<void> {
  await buildApps(["fstest"]);
  const dir = mkdtempSync(join(tmpdir(), "vireo-9p-bench-"));
  try {
    const result = await boot({
      app: "fstest",
      append: `fs=bench fs.rounds=${ROUNDS}`,
      timeoutMs: TIMEOUT_MS,
      qemuArgs: ["-fsdev", `local,id=fs0,path=${dir},security_model=none`, "-device", "virtio-9p-pci,fsdev=fs0,mount_tag=host"],
    });
    const figures = /^fs bench ok (.*)$/m.exec(result.output);
    if (figures === null) throw new Error(`9p: no figures\n${result.output}`);
    console.log(`9p: 1 MiB file and small files on virtio-9p-pci (guest clock): ${figures[1]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
