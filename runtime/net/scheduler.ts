/** Time and randomness injected into the stack, so that tests drive them deterministically. */

/** Whatever the scheduler returns from setTimer; the stack only hands it back to clearTimer. */
export type TimerHandle = unknown;

export interface Scheduler {
  /** Monotonic milliseconds. */
  now(): number;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /**
   * Whether an armed timer keeps the machine running (every timer does when set). A timer left
   * armed only to be reused (a stopped `Deadline`) is released, so it holds nothing up.
   */
  holdTimer(handle: TimerHandle, hold: boolean): void;
}

/** Fills `bytes` with random values. */
export type RandomSource = (bytes: Uint8Array) => void;

export function randomUint16(random: RandomSource): number {
  const bytes = new Uint8Array(2);
  random(bytes);
  return (bytes[0] << 8) | bytes[1];
}

export function randomUint32(random: RandomSource): number {
  const bytes = new Uint8Array(4);
  random(bytes);
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}
