import type { RandomSource } from "../../runtime/net/scheduler";

/** Deterministic bytes (xorshift32), so runs are repeatable. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0 || 1;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      bytes[i] = state & 0xff;
    }
  };
}
