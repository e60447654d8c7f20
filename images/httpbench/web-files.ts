// The bytes both guests of `npm run bench -- compare` serve: a deterministic pattern from a seed,
// so the host can check every body without shipping the files to the Vireo guest.

/** `length` bytes of an xorshift32 stream started at `seed` (non-zero). */
export function webFileBytes(length: number, seed: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`web file length ${length} is not a whole number >= 0`);
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
