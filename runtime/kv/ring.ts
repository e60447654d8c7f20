/**
 * The log's blocks used as a ring: virtual block offset o lives at block
 * FIRST_RECORD_LBA + o % blocks, so a run of blocks may wrap from the disk's last block to the
 * log's first. Disk failures surface as KvError "io".
 */
import { KvError } from "./errors";
import { FIRST_RECORD_LBA } from "./layout";
import type { KvDisk } from "./store";

export async function diskIo<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof KvError) throw error;
    throw new KvError("io", `${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export class LogRing {
  readonly blocks: number;
  private readonly blockSize: number;

  constructor(private readonly disk: KvDisk) {
    this.blockSize = disk.info.blockSize;
    this.blocks = disk.info.blocks - FIRST_RECORD_LBA;
  }

  /** Reads `count` blocks from offset `offset`; both halves of a wrapped run are requested at once. */
  async read(offset: number, count: number): Promise<Uint8Array> {
    const [first, second] = this.split(offset, count);
    const size = this.blockSize;
    return diskIo(`reading log block ${offset}`, async () => {
      if (second === 0) return this.disk.read(this.lba(offset), new Uint8Array(count * size));
      const [head, tail] = await Promise.all([
        this.disk.read(this.lba(offset), new Uint8Array(first * size)),
        this.disk.read(FIRST_RECORD_LBA, new Uint8Array(second * size)),
      ]);
      const whole = new Uint8Array(count * size);
      whole.set(head.subarray(0, first * size));
      whole.set(tail.subarray(0, second * size), first * size);
      return whole;
    });
  }

  /** Writes whole blocks at offset `offset` (not flushed). */
  async write(offset: number, data: Uint8Array): Promise<void> {
    const size = this.blockSize;
    const [first, second] = this.split(offset, data.length / size);
    await diskIo(`writing log block ${offset}`, async () => {
      await this.disk.write(this.lba(offset), second === 0 ? data : data.subarray(0, first * size));
      if (second > 0) await this.disk.write(FIRST_RECORD_LBA, data.subarray(first * size));
    });
  }

  private lba(offset: number): number {
    return FIRST_RECORD_LBA + (offset % this.blocks);
  }

  /** How many of `count` blocks from `offset` come before the wrap, and how many after it. */
  private split(offset: number, count: number): [number, number] {
    const first = Math.min(count, this.blocks - (offset % this.blocks));
    return [first, count - first];
  }
}
