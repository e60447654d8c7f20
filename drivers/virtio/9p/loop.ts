/** The part of the event loop the 9P driver needs (kernel/event-loop.ts's EventLoop fits). */
export interface NinePLoopSource {
  wake(): void;
  ref(): unknown;
  unref(): unknown;
  close(): void;
}

export interface NinePLoop {
  /** A source run on every loop turn (a device without interrupts). */
  addPoller(poll: () => void): NinePLoopSource;
  /** A source run once per `wake()` (the device's interrupt). */
  addWakeSource(onWake: () => void): NinePLoopSource;
  /** Request deadlines. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(timer: unknown): void;
}
