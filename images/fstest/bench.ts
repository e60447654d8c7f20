// 9p figures: MB/s reading and writing a 1 MiB file, and small-file operations per second
// (write, stat, read and remove of a 100-byte file). `fs.rounds=N` repeats each measurement.
import type { Share } from "../../runtime/app/index";

const MIB = 1024 * 1024;
const SMALL_BYTES = 100;
const SMALL_FILES = 50;

interface CommandLine {
  get(key: string): string | undefined;
}

function rate(amount: number, ms: number): string {
  return (amount / (ms / 1000)).toFixed(1);
}

export async function bench(share: Share, commandLine: CommandLine): Promise<string> {
  const rounds = Number(commandLine.get("fs.rounds") ?? "3");
  const data = new Uint8Array(MIB);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  const writes: number[] = [];
  const reads: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let start = performance.now();
    await share.writeFile("bench.bin", data);
    writes.push(performance.now() - start);
    start = performance.now();
    const back = await share.readFile("bench.bin");
    reads.push(performance.now() - start);
    if (back.length !== MIB) throw new Error(`read back ${back.length} bytes`);
  }
  await share.rm("bench.bin");
  const small = new Uint8Array(SMALL_BYTES);
  await share.mkdir("bench-small", { recursive: true });
  const start = performance.now();
  for (let i = 0; i < SMALL_FILES; i++) {
    const path = `bench-small/f${i}`;
    await share.writeFile(path, small);
    await share.stat(path);
    await share.readFile(path);
    await share.rm(path);
  }
  const smallMs = performance.now() - start;
  await share.rm("bench-small", { recursive: true });
  const best = (times: number[]) => Math.min(...times);
  return `write-MBps=${rate(1, best(writes))} read-MBps=${rate(1, best(reads))} small-ops-per-s=${rate(SMALL_FILES * 4, smallMs)} rounds=${rounds}`;
}
