// The checks the blk QEMU tests run in the guest; each prints one `blk <name> ok ...` line or throws.
import { isBlockError } from "../../drivers/block-driver";
import type { CommandLine } from "../../kernel/command-line";
import { Sha256, toHex } from "../../runtime/crypto/sha256";
import type { BlockDevice } from "../../runtime/block/device";
import { BlockRangeError } from "../../runtime/block/errors";
import { stampPattern } from "./pattern";
import { virtioBlkOf } from "./virtio-blk";

const CHUNK_BYTES = 1024 * 1024;
const FILL_DEPTH = 4;
const QD_REQUESTS = 64;
const QD_BYTES = 4096;
const NS_PER_MS = 1e6;

export type Command = (disk: BlockDevice, args: CommandLine, now: () => number) => Promise<string>;

export function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`check failed: ${what}`);
}

/** What `promise` rejected with; undefined if it resolved. */
export function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Writes the pattern over the whole disk with several 1 MiB requests in flight, then flushes. */
const fill: Command = async (disk, args, now) => {
  const seed = Number(args.get("seed") ?? "1");
  const { capacityBytes, blockSize } = disk.info;
  const started = now();
  let next = 0;
  const worker = async (): Promise<void> => {
    const buffer = disk.allocBuffer(CHUNK_BYTES);
    let templated = false;
    while (next < capacityBytes) {
      const at = next;
      next += CHUNK_BYTES;
      const piece = at + CHUNK_BYTES <= capacityBytes ? buffer : buffer.subarray(0, capacityBytes - at);
      stampPattern(piece, at / 512, seed, templated);
      templated = templated || piece === buffer;
      await disk.write(at / blockSize, piece);
    }
    disk.freeBuffer(buffer);
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < FILL_DEPTH; i++) workers.push(worker());
  await Promise.all(workers);
  await disk.flush();
  return `bytes=${capacityBytes} ms=${((now() - started) / NS_PER_MS).toFixed(0)}`;
};

/** Reads the whole disk (next chunk in flight while hashing this one) and prints its SHA-256. */
const sha256: Command = async (disk, _args, now) => {
  const { capacityBytes, blockSize } = disk.info;
  const started = now();
  const buffers = [disk.allocBuffer(CHUNK_BYTES), disk.allocBuffer(CHUNK_BYTES)];
  const hash = new Sha256();
  const readAt = (at: number, buffer: Uint8Array) =>
    disk.read(at / blockSize, at + CHUNK_BYTES <= capacityBytes ? buffer : buffer.subarray(0, capacityBytes - at));
  let pending = readAt(0, buffers[0]);
  for (let at = 0, i = 0; at < capacityBytes; at += CHUNK_BYTES, i++) {
    const data = await pending;
    if (at + CHUNK_BYTES < capacityBytes) pending = readAt(at + CHUNK_BYTES, buffers[(i + 1) % 2]);
    hash.update(data);
  }
  return `${toHex(hash.digest())} bytes=${capacityBytes} ms=${((now() - started) / NS_PER_MS).toFixed(0)}`;
};

const readonlyCheck: Command = async (disk) => {
  check(disk.info.readOnly, "info.readOnly");
  const error = await rejection(disk.write(0, new Uint8Array(disk.info.blockSize)));
  check(isBlockError(error, "read-only"), `write refused as read-only (got ${String(error)})`);
  const block = await disk.read(0, new Uint8Array(disk.info.blockSize));
  return `error="${(error as Error).message}" first-byte=${block[0]}`;
};

/** The last block of a large disk: exact capacity, write/read there, one past it refused. */
const edge: Command = async (disk) => {
  const info = disk.info;
  const last = info.blocks - 1;
  const out = disk.allocBuffer(info.blockSize);
  stampPattern(out, last * (info.blockSize / 512), 77, false);
  await disk.write(last, out);
  await disk.flush();
  const back = await disk.read(last, new Uint8Array(info.blockSize));
  check(equalBytes(out, back), "last block reads back what was written");
  const beyond = await rejection(disk.read(info.blocks, new Uint8Array(info.blockSize)));
  check(beyond instanceof BlockRangeError, "read past the end refused with BlockRangeError");
  return `capacity-sectors=${virtioBlkOf(disk).geometry.capacitySectors} capacity-bytes=${info.capacityBytes} last-block=${last}`;
};

/** 64 writes then 64 reads in flight at once, each with its own data. */
const qd64: Command = async (disk) => {
  const info = disk.info;
  const blocksPer = QD_BYTES / info.blockSize;
  const stride = Math.floor(info.blocks / QD_REQUESTS);
  const outs: Uint8Array[] = [];
  const ins: Uint8Array[] = [];
  for (let i = 0; i < QD_REQUESTS; i++) {
    const out = disk.allocBuffer(QD_BYTES);
    stampPattern(out, i * 1000, 500 + i, false);
    outs.push(out);
    ins.push(disk.allocBuffer(QD_BYTES));
  }
  const lba = (i: number) => ((i * 37) % QD_REQUESTS) * stride + (i % 2) * blocksPer;
  // The depth is the disk's peak: completions may be taken within the turn that submitted them.
  disk.resetPeakInFlight();
  await Promise.all(outs.map((out, i) => disk.write(lba(i), out)));
  const writesInFlight = disk.peakInFlight;
  disk.resetPeakInFlight();
  await Promise.all(ins.map((into, i) => disk.read(lba(i), into)));
  const readsInFlight = disk.peakInFlight;
  for (let i = 0; i < QD_REQUESTS; i++) check(equalBytes(outs[i], ins[i]), `request ${i} data`);
  return `writes-in-flight=${writesInFlight} reads-in-flight=${readsInFlight}`;
};

/** Discards one range and writes zeroes over the next; the host checks both read as zeros. */
const discard: Command = async (disk, args) => {
  const info = disk.info;
  check(info.discard && info.writeZeroes, "device offers discard and write-zeroes");
  const lba = Number(args.get("lba") ?? "0");
  const count = Number(args.get("count") ?? "256");
  await disk.discard(lba, count);
  await disk.writeZeroes(lba + count, count);
  await disk.flush();
  const back = await disk.read(lba + count, new Uint8Array(count * info.blockSize));
  check(back.every((b) => b === 0), "written zeroes read back as zeros");
  return `discarded=${lba}+${count} zeroed=${lba + count}+${count}`;
};

export const COMMANDS: Readonly<Record<string, Command>> = {
  fill,
  sha256,
  "readonly-check": readonlyCheck,
  edge,
  qd64,
  discard,
};
