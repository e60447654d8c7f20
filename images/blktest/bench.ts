// Throughput and IOPS measured in the guest with the monotonic clock: sequential 1 MiB reads and
// writes, 4 KiB random reads at queue depth 1 and 32 (with the QD1 latency). Each figure carries the
// interrupts taken and notifications sent per request. `figures=rand-read-qd1+...` runs only those.
// Prints `blk bench mode ...` and `blk bench <name> <figure>` lines.
import { FeatureBit } from "../../drivers/virtio/features";
import { haltedNs } from "../../kernel/platform-native";
import type { BlockDevice } from "../../runtime/block/device";
import type { Command } from "./commands";
import { virtioBlkOf } from "./virtio-blk";

const SEQ_REQUEST_BYTES = 1024 * 1024;
const SEQ_DEPTH = 4;
const RANDOM_BYTES = 4096;
const NS_PER_S = 1e9;
const BYTES_PER_MB = 1e6;
const NS_PER_US = 1e3;

type Now = () => number;
/** A figure's text and the device requests it took. */
type Figure = [text: string, requests: number];

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

export async function sequential(disk: BlockDevice, now: Now, write: boolean, limitBytes: number): Promise<Figure> {
  const { blockSize } = disk.info;
  const requests = Math.floor(Math.min(limitBytes, disk.info.capacityBytes) / SEQ_REQUEST_BYTES);
  const blocksPer = SEQ_REQUEST_BYTES / blockSize;
  const started = now();
  await drive(disk, SEQ_DEPTH, SEQ_REQUEST_BYTES, (n) => n < requests, (buffer, n) =>
    write ? disk.write(n * blocksPer, buffer) : disk.read(n * blocksPer, buffer),
  );
  const seconds = (now() - started) / NS_PER_S;
  const perRequest = Math.ceil(SEQ_REQUEST_BYTES / disk.info.maxTransferBytes);
  return [`${((requests * SEQ_REQUEST_BYTES) / BYTES_PER_MB / seconds).toFixed(1)} MB/s (${requests} x 1 MiB, qd ${SEQ_DEPTH}, ${seconds.toFixed(2)} s)`, requests * perRequest];
}

export async function randomReads(disk: BlockDevice, now: Now, depth: number, seconds: number): Promise<Figure> {
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
  const latencyUs = ((elapsed / done) * depth * NS_PER_S) / NS_PER_US;
  return [`${(done / elapsed).toFixed(0)} IOPS (${done} x 4 KiB, qd ${depth}, ${elapsed.toFixed(2)} s, ${latencyUs.toFixed(0)} us per read)`, done];
}

export const bench: Command = async (disk, args, now) => {
  const seconds = Number(args.get("seconds") ?? "2");
  const limitBytes = Number(args.get("mib") ?? "256") * 1024 * 1024;
  const figures: [string, () => Promise<Figure>][] = [
    ["seq-write", () => sequential(disk, now, true, limitBytes)],
    ["seq-read", () => sequential(disk, now, false, limitBytes)],
    ["rand-read-qd1", () => randomReads(disk, now, 1, seconds)],
    ["rand-read-qd32", () => randomReads(disk, now, 32, seconds)],
  ];
  const only = args.get("figures")?.split("+");
  const driver = virtioBlkOf(disk);
  console.log(`blk bench mode ${driver.interruptMode} event-idx=${driver.has(FeatureBit.EventIdx)}`);
  for (const [name, run] of figures) {
    if ((disk.info.readOnly && name === "seq-write") || (only !== undefined && !only.includes(name))) continue;
    const interrupts = driver.interruptStats.interrupts;
    const notifications = driver.queue.notifications;
    const started = now();
    const halted = haltedNs();
    const [text, requests] = await run();
    // What the guest itself spent per request, whatever the device's latency (instructions under -icount shift=0).
    const busyNs = now() - started - (haltedNs() - halted);
    const perRequest = (count: number) => (count / requests).toFixed(3);
    console.log(
      `blk bench ${name} ${text}; per request: ${perRequest(driver.interruptStats.interrupts - interrupts)} interrupts, ` +
        `${perRequest(driver.queue.notifications - notifications)} notifications, ${(busyNs / requests / NS_PER_US).toFixed(1)} us guest busy`,
    );
  }
  return "done";
};
