/**
 * Reads and writes of any length as Treads and Twrites of at most the share's io unit, several in
 * flight at once (the device keeps them all busy; each lands directly in the caller's buffer).
 */
import type { NinePCancelSignal, NinePClient } from "../../drivers/virtio/9p/client";
import { FsError } from "./errors";

/** Chunks in flight at once per transfer. */
export const TRANSFER_PARALLELISM = 4;

/** Runs task(0..count-1) with at most `limit` running at once; rejects with the first failure. */
async function inParallel(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/**
 * Reads `target.length` bytes of the open `fid` from `position` into `target`; returns how many
 * were there (fewer only at the end of the file). A chunk the server answers in part (its iounit
 * may be smaller than ours) is read on until full or until a read returns nothing: the end.
 */
export async function readInto(client: NinePClient, fid: number, target: Uint8Array, position: number, signal?: NinePCancelSignal): Promise<number> {
  const unit = client.ioUnit;
  const chunks = Math.ceil(target.length / unit);
  const got = new Float64Array(chunks);
  await inParallel(chunks, TRANSFER_PARALLELISM, async (i) => {
    const from = i * unit;
    const chunk = target.subarray(from, Math.min(target.length, from + unit));
    // Bounded: every turn reads at least one byte or ends the chunk.
    for (let done = 0; done < chunk.length; ) {
      const read = await client.read(fid, position + from + done, chunk.subarray(done), signal);
      if (read === 0) break;
      done += read;
      got[i] = done;
    }
  });
  let total = 0;
  for (let i = 0; i < chunks; i++) {
    total += got[i];
    if (got[i] < Math.min(unit, target.length - i * unit)) break;
  }
  return total;
}

/** Writes all of `data` to the open `fid` at `position`; a chunk the server took only in part is finished after the others. */
export async function writeAll(client: NinePClient, fid: number, data: Uint8Array, position: number, path: string, signal?: NinePCancelSignal): Promise<void> {
  const unit = client.ioUnit;
  const chunks = Math.ceil(data.length / unit);
  const short: number[] = [];
  await inParallel(chunks, TRANSFER_PARALLELISM, async (i) => {
    const from = i * unit;
    const length = Math.min(unit, data.length - from);
    const written = await client.write(fid, position + from, data.subarray(from, from + length), signal);
    if (written < length) short.push(from + written, from + length);
  });
  for (let i = 0; i < short.length; i += 2) {
    // Bounded: every turn writes at least one byte or fails.
    for (let at = short[i]; at < short[i + 1]; ) {
      const written = await client.write(fid, position + at, data.subarray(at, Math.min(short[i + 1], at + unit)), signal);
      if (written === 0) throw new FsError("EIO", "write", path, `the share took no bytes at ${position + at}`);
      at += written;
    }
  }
}
