import type { KvDisk } from "../../runtime/kv/store";

export const BLOCK = 512;

/** A disk with a volatile write cache: `crash()` keeps only what was flushed. */
export class MemoryDisk implements KvDisk {
  durable: Uint8Array;
  private cache: Uint8Array;
  writes = 0;
  failWritesAfter = Infinity;

  constructor(
    blocks: number,
    readonly readOnly = false,
  ) {
    this.durable = new Uint8Array(blocks * BLOCK);
    this.cache = this.durable.slice();
  }

  get info() {
    return { blockSize: BLOCK, blocks: this.durable.length / BLOCK, readOnly: this.readOnly };
  }

  async read(lba: number, into: Uint8Array): Promise<Uint8Array> {
    into.set(this.cache.subarray(lba * BLOCK, lba * BLOCK + into.length));
    return into;
  }

  async write(lba: number, data: Uint8Array): Promise<void> {
    if (this.writes++ >= this.failWritesAfter) throw new Error("power lost");
    this.cache.set(data, lba * BLOCK);
  }

  async flush(): Promise<void> {
    this.durable = this.cache.slice();
  }

  crash(): MemoryDisk {
    const after = new MemoryDisk(this.info.blocks);
    after.durable = this.durable.slice();
    after.cache = this.durable.slice();
    return after;
  }
}
