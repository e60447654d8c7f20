/** How often a device may be reset and brought back (block and network alike). */
const MINUTE_MS = 60_000;

/** At most `limit` device resets in any minute; the times of the last ones are kept (no allocation per reset). */
export class RecoveryBudget {
  private readonly times: Float64Array;
  private next = 0;
  private used = 0;

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`recovery limit ${limit} is not a whole number >= 0`);
    this.times = new Float64Array(limit);
  }

  /** Takes one reset at `nowMs` if the last minute has room for it; returns whether it did. */
  take(nowMs: number): boolean {
    if (this.limit === 0) return false;
    // The slot to overwrite holds the oldest of the last `limit` resets.
    if (this.used === this.limit && nowMs - this.times[this.next] < MINUTE_MS) return false;
    this.times[this.next] = nowMs;
    this.next = (this.next + 1) % this.limit;
    if (this.used < this.limit) this.used++;
    return true;
  }
}
