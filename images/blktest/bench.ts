// Throughput and IOPS measured in the guest with the monotonic clock: sequential 1 MiB reads and
// writes, 4 KiB random reads at queue depth 1 and 32. Prints `blk bench <name> <figure>` lines.
import type { BlockDevice } from "../../runtime/block/device";
import type { Command } from "./commands";

const SEQ_REQUEST_BYTES = 1024 * 1024;
const SEQ_DEPTH = 4;
const RANDOM_BYTES = 4096;
const NS_PER_S = 1e9;
const BYTES_PER_MB = 1e6;

type Now = () => number;

/** Runs `depth` workers, each issuing `request(buffer, index)` until `more(index)` is false. */
async function drive(disk: BlockDevice, depth: number, bytes: number, more: (n: number) => boolean, request: (buffer: Uint8Array, n: number) => Promise<unknown>): Promise<number> {
  let issued = 0;
  const worker = async (): Promise<void> => {
    const buffer = disk.allocBuffer(bytes);
    while (more(issued)) await request(buffer, issued++);
    disk.freeBuffer(buffer);
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < depth; i++) workers.push(worker());
  await Promise.all(workers);
  return issued;
}

async function sequential(disk: BlockDevice, now: Now, write: boolean, limitBytes: number): Promise<string> {
  const { blockSize } = disk.info;
  const requests = Math.floor(Math.min(limitBytes, disk.info.capacityBytes) / SEQ_REQUEST_BYTES);
  const blocksPer = SEQ_REQUEST_BYTES / blockSize;
  const started = now();
  await drive(disk, SEQ_DEPTH, SEQ_REQUEST_BYTES, (n) => n < requests, (buffer, n) =>
    write ? disk.write(n * blocksPer, buffer) : disk.read(n * blocksPer, buffer),
  );
  const seconds = (now() - started) / NS_PER_S;
  return `${((requests * SEQ_REQUEST_BYTES) / BYTES_PER_MB / seconds).toFixed(1)} MB/s (${requests} x 1 MiB, qd ${SEQ_DEPTH}, ${seconds.toFixed(2)} s)`;
}

async function randomReads(disk: BlockDevice, now: Now, depth: number, seconds: number): Promise<string> {
  const { blockSize, capacityBytes } = disk.info;
  const slots = Math.floor(capacityBytes / RANDOM_BYTES);
  const blocksPer = RANDOM_BYTES / blockSize;
  let state = 0x2545f491;
  const started = now();
  const deadline = started + seconds * NS_PER_S;
  const done = await drive(disk, depth, RANDOM_BYTES, () => now() < deadline, (buffer) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return disk.read(((state >>> 0) % slots) * blocksPer, buffer);
  });
  const elapsed = (now() - started) / NS_PER_S;
  return `${(done / elapsed).toFixed(0)} IOPS (${done} x 4 KiB, qd ${depth}, ${elapsed.toFixed(2)} s)`;
}

export const bench: Command = async (disk, args, now) => {
  const seconds = Number(args.get("seconds") ?? "2");
  const limitBytes = Number(args.get("mib") ?? "256") * 1024 * 1024;
  const figures: [string, () => Promise<string>][] = [
    ["seq-write", () => sequential(disk, now, true, limitBytes)],
    ["seq-read", () => sequential(disk, now, false, limitBytes)],
    ["rand-read-qd1", () => randomReads(disk, now, 1, seconds)],
    ["rand-read-qd32", () => randomReads(disk, now, 32, seconds)],
  ];
  for (const [name, run] of figures) {
    if (disk.info.readOnly && name === "seq-write") continue;
    console.log(`blk bench ${name} ${await run()}`);
  }
  return "done";
};
