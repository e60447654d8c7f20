import { mulberry32 } from "../kv/random";

const TWO_POW_32 = 2 ** 32;

/** The seeded generator the KV workloads use (mulberry32), so that every fuzz run is reproducible from its seed. */
export class Prng {
  private readonly uniform: () => number;

  constructor(seed: number) {
    this.uniform = mulberry32(seed);
  }

  /** Uniform in [0, 2^32). */
  next(): number {
    return this.uniform() * TWO_POW_32;
  }

  /** Uniform in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  chance(probability: number): boolean {
    return this.next() / 0x1_0000_0000 < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}
