/** Adapters from the kernel's event loop and devices to what runtime libraries take injected. */
import type { Platform } from "../kernel/platform";
import { mathRandomFill } from "../kernel/random";
import type { Devices } from "./devices";
import type { RandomSource, Scheduler } from "./net/scheduler";

const NS_PER_MS = 1e6;

/** Timers on the global event loop, with the monotonic clock in milliseconds. */
export function eventLoopScheduler(platform: Platform): Scheduler {
  return {
    now: () => platform.monotonicNs() / NS_PER_MS,
    setTimer: (delayMs, callback) => setTimeout(callback, delayMs),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

/** Entropy from the virtio-rng; without one, Math.random (not cryptographic: sequence numbers, ids). */
export function systemRandom(devices: Devices): RandomSource {
  const rng = devices.rng;
  return rng === undefined ? mathRandomFill : (bytes) => void rng.getRandomValues(bytes);
}
