import type { RandomSource } from "../net/scheduler";
import { CHACHA20_KEY_BYTES, CHACHA20_NONCE_BYTES, ChaCha20 } from "./chacha20";

const SEED_BYTES = CHACHA20_KEY_BYTES + CHACHA20_NONCE_BYTES;
/** A new key from the entropy source after this many bytes handed out, when it has some ready. */
const RESEED_AFTER_BYTES = 1 << 20;

/** Where seeds come from. `tryFill` never blocks: false when no entropy is ready now. */
export interface EntropySource {
  tryFill(bytes: Uint8Array): boolean;
}

/**
 * Random bytes for the network stack (TCP initial sequence numbers, ports, DHCP and DNS ids)
 * that never block and never throw: a ChaCha20 keystream keyed from the entropy device when it
 * has bytes ready, otherwise from `fallback` (Math.random and the clock), rekeyed from the device
 * every megabyte once it has entropy to give.
 */
export class FastRandom {
  /** Times the device had no entropy ready when a key was due. */
  weakSeeds = 0;
  private generator: ChaCha20;
  private sinceSeed = 0;
  private readonly seed = new Uint8Array(SEED_BYTES);

  constructor(
    private readonly entropy: EntropySource | undefined,
    private readonly fallback: RandomSource,
  ) {
    this.generator = this.keyed();
  }

  readonly fill: RandomSource = (bytes) => {
    if (this.sinceSeed >= RESEED_AFTER_BYTES) this.generator = this.keyed();
    this.generator.fill(bytes);
    this.sinceSeed += bytes.length;
  };

  private keyed(): ChaCha20 {
    const seed = this.seed;
    if (this.entropy === undefined || !this.entropy.tryFill(seed)) {
      this.weakSeeds++;
      this.fallback(seed);
    }
    this.sinceSeed = 0;
    return new ChaCha20(seed.subarray(0, CHACHA20_KEY_BYTES), seed.subarray(CHACHA20_KEY_BYTES));
  }
}
