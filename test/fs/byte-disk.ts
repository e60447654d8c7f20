import type { TarDisk } from "../../runtime/fs/tar-source";

/** A read-only disk over bytes, with a configurable block size; counts its reads. */
export class ByteDisk implements TarDisk {
  reads = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly blockSize = 512,
  ) {
    if (bytes.length % blockSize !== 0) throw new RangeError("the image must be whole blocks");
  }

  get info() {
    return { blockSize: this.blockSize, blocks: this.bytes.length / this.blockSize };
  }

  async read(lba: number, into: Uint8Array): Promise<Uint8Array> {
    this.reads++;
    const start = lba * this.blockSize;
    if (start + into.length > this.bytes.length) throw new RangeError(`read past the end (${start}+${into.length})`);
    into.set(this.bytes.subarray(start, start + into.length));
    return into;
  }
}
