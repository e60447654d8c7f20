import { copyAndSum, swapSum } from "../checksum";

/**
 * A bounded FIFO of bytes over one circular array, allocated on first write so that half-open
 * connections cost no buffer memory.
 */
export class RingBuffer {
  private storage: Uint8Array | null = null;
  private head = 0;
  private used = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.used;
  }

  get free(): number {
    return this.capacity - this.used;
  }

  /** Appends as much of source[offset, offset + length) as fits; returns the bytes taken. */
  write(source: Uint8Array, offset: number, length: number): number {
    const count = Math.min(length, this.free);
    if (count === 0) return 0;
    const storage = this.backing();
    const tail = (this.head + this.used) % this.capacity;
    const first = Math.min(count, this.capacity - tail);
    storage.set(source.subarray(offset, offset + first), tail);
    if (count > first) storage.set(source.subarray(offset + first, offset + count), 0);
    this.used += count;
    return count;
  }

  /**
   * Copies `length` bytes starting `skip` bytes after the head into target at targetOffset and
   * returns their Internet checksum word sum, computed in the same pass.
   */
  peek(skip: number, length: number, target: Uint8Array, targetOffset: number): number {
    if (length === 0) return 0;
    const storage = this.backing();
    const start = (this.head + skip) % this.capacity;
    const first = Math.min(length, this.capacity - start);
    const sum = copyAndSum(storage, start, target, targetOffset, first);
    if (length === first) return sum;
    const rest = copyAndSum(storage, 0, target, targetOffset + first, length - first);
    // After an odd first piece the rest starts mid-word: its bytes sit in the other halves.
    return sum + ((first & 1) === 0 ? rest : swapSum(rest));
  }

  /** Removes up to `length` bytes from the head into a new array. */
  read(length: number): Uint8Array {
    const count = Math.min(length, this.used);
    const out = new Uint8Array(count);
    this.peek(0, count, out, 0);
    this.discard(count);
    return out;
  }

  discard(length: number): void {
    const count = Math.min(length, this.used);
    this.head = (this.head + count) % this.capacity;
    this.used -= count;
    if (this.used === 0) this.head = 0;
  }

  private backing(): Uint8Array {
    if (this.storage === null) this.storage = new Uint8Array(this.capacity);
    return this.storage;
  }
}
