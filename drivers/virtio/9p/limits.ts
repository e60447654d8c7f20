/** The 9P client's bounds: message size, requests in flight and waiting, fids, deadlines. */
export interface NinePLimits {
  /**
   * msize proposed in Tversion: the largest message either way. Each request slot holds two DMA
   * buffers of this size (T-message and R-message), so it bounds the memory too.
   */
  readonly msize: number;
  /** Requests in flight at once (each its own tag and slot). */
  readonly slots: number;
  /** Requests waiting for a free slot; more are refused. */
  readonly maxWaiting: number;
  /** Fids in use at once (open files, walked paths). */
  readonly maxFids: number;
  /** A request with no reply by then is flushed and fails with NineTimeoutError. */
  readonly requestTimeoutMs: number;
  /** A flush with no reply by then: the device is given up. */
  readonly flushTimeoutMs: number;
  /** Directory entries one readdir returns at most. */
  readonly maxDirectoryEntries: number;
}

/** The smallest msize the server may answer with: room for a walk of 16 long names and a useful read. */
export const MIN_MSIZE = 4096;
/** The largest msize proposed: two buffers of it per slot are one contiguous DMA region. */
export const MAX_MSIZE = 1024 * 1024;

export const DEFAULT_NINEP_LIMITS: NinePLimits = {
  msize: 128 * 1024,
  slots: 16,
  maxWaiting: 1024,
  maxFids: 1024,
  requestTimeoutMs: 10_000,
  flushTimeoutMs: 5_000,
  maxDirectoryEntries: 65_536,
};
