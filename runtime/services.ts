/** Adapters from the kernel's event loop and devices to what runtime libraries take injected. */
import type { Platform } from "../kernel/platform";
import { mathRandomFill } from "../kernel/random";
import type { Devices } from "./devices";
import type { RandomSource, Scheduler } from "./net/scheduler";
import { FastRandom } from "./random/fast-random";

const NS_PER_MS = 1e6;
/** The longest delay setTimeout takes (a longer one fires after 1 ms, as in Node). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The timer functions the scheduler runs on: the global ones, or an event loop's in tests. */
export interface TimerFunctions {
  setTimeout(callback: () => void, delayMs: number): TimerRef;
  clearTimeout(handle: never): void;
}

/** What setTimeout returns, here and in Node: whether it keeps the loop alive can be changed. */
interface TimerRef {
  ref(): unknown;
  unref(): unknown;
}

/** A timer longer than setTimeout takes: the step armed now, re-armed until the delay has passed. */
class SteppedTimer {
  step: TimerRef | undefined = undefined;
  held = true;
}

function hold(timer: TimerRef | undefined, held: boolean): void {
  if (held) timer?.ref();
  else timer?.unref();
}

/**
 * Timers on the global event loop, with the monotonic clock in milliseconds. Delays of any
 * length work (a 90-day DHCP lease): past MAX_TIMEOUT_MS the timer re-arms in steps.
 */
export function eventLoopScheduler(platform: Platform, timers: TimerFunctions = globalThis as unknown as TimerFunctions): Scheduler {
  const now = (): number => platform.monotonicNs() / NS_PER_MS;
  const arm = (timer: SteppedTimer, dueMs: number, callback: () => void): void => {
    const left = Math.max(0, dueMs - now());
    timer.step = timers.setTimeout(left > MAX_TIMEOUT_MS ? () => arm(timer, dueMs, callback) : callback, Math.min(left, MAX_TIMEOUT_MS));
    if (!timer.held) timer.step.unref();
  };
  return {
    now,
    setTimer: (delayMs, callback) => {
      if (delayMs <= MAX_TIMEOUT_MS) return timers.setTimeout(callback, delayMs);
      const timer = new SteppedTimer();
      arm(timer, now() + delayMs, callback);
      return timer;
    },
    clearTimer: (handle) => timers.clearTimeout((handle instanceof SteppedTimer ? handle.step : handle) as never),
    holdTimer: (handle, held) => {
      if (!(handle instanceof SteppedTimer)) return hold(handle as TimerRef, held);
      handle.held = held;
      hold(handle.step, held);
    },
  };
}

/**
 * Random bytes for the network stack: a generator keyed from the virtio-rng's ready entropy (or,
 * without it, Math.random), which never waits for the device and never throws, so a stalled
 * rng cannot stall or break the receive path.
 */
export function systemRandom(devices: Devices): RandomSource {
  const rng = devices.rng;
  const entropy = rng && {
    tryFill: (bytes: Uint8Array): boolean => {
      if (rng.available < bytes.length) return false;
      try {
        rng.getRandomValues(bytes);
        return true;
      } catch {
        return false;
      }
    },
  };
  return new FastRandom(entropy, mathRandomFill).fill;
}
