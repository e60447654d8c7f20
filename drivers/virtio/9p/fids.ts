import { NineUsageError } from "./errors";

/**
 * Fid numbers in use, bounded: `allocate` hands out the next free one after the last it handed out, `release` returns it.
 * A fid is released only once the server is known to have forgotten it (Rclunk, or a request that
 * would have created it failed), so a number is never reused while the server may still hold it.
 */
export class FidTable {
  private readonly used: Uint8Array;
  private inUse = 0;
  private next = 0;

  constructor(
    private readonly deviceName: string,
    readonly capacity: number,
  ) {
    this.used = new Uint8Array(capacity);
  }

  get count(): number {
    return this.inUse;
  }

  allocate(): number {
    if (this.inUse === this.capacity) throw new NineUsageError(this.deviceName, "fids", `all ${this.capacity} fids are in use`);
    // Bounded by capacity: some entry is free.
    while (this.used[this.next] !== 0) this.next = (this.next + 1) % this.capacity;
    const fid = this.next;
    this.used[fid] = 1;
    this.inUse++;
    this.next = (fid + 1) % this.capacity;
    return fid;
  }

  release(fid: number): void {
    if (fid < 0 || fid >= this.capacity || this.used[fid] === 0) throw new NineUsageError(this.deviceName, "fids", `fid ${fid} is not in use`);
    this.used[fid] = 0;
    this.inUse--;
  }
}
