/** One guest buffer as the device sees it. */
export interface Segment {
  readonly physical: number;
  readonly bytes: Uint8Array;
}

/** A descriptor chain taken from the avail ring, split into its readable and writable parts. */
export class SimRequest {
  constructor(
    readonly queue: number,
    readonly head: number,
    readonly readable: readonly Segment[],
    readonly writable: readonly Segment[],
    /** Descriptor table entries of the chain (not those of an indirect table). */
    readonly descriptors: readonly number[] = [],
  ) {}

  /** Whether the driver freed memory under one of the buffers (a freed DMA buffer is detached). */
  freed(): boolean {
    return [...this.readable, ...this.writable].some((s) => s.bytes.buffer.byteLength === 0);
  }

  get readableLength(): number {
    return this.readable.reduce((n, s) => n + s.bytes.length, 0);
  }

  get writableLength(): number {
    return this.writable.reduce((n, s) => n + s.bytes.length, 0);
  }

  /** All device-readable bytes, concatenated. */
  read(): Uint8Array {
    const out = new Uint8Array(this.readableLength);
    let at = 0;
    for (const s of this.readable) {
      out.set(s.bytes, at);
      at += s.bytes.length;
    }
    return out;
  }

  /** Scatters `data` into the writable buffers starting at byte `offset`; returns bytes written. */
  write(data: Uint8Array, offset = 0): number {
    let skip = offset;
    let written = 0;
    for (const s of this.writable) {
      if (written === data.length) break;
      if (skip >= s.bytes.length) {
        skip -= s.bytes.length;
        continue;
      }
      const n = Math.min(s.bytes.length - skip, data.length - written);
      s.bytes.set(data.subarray(written, written + n), skip);
      written += n;
      skip = 0;
    }
    return written;
  }
}
