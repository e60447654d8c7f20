/** Retransmission timeout from round-trip samples (RFC 6298). */

const ALPHA = 1 / 8;
const BETA = 1 / 4;
/** K in RFC 6298 2.3. */
const VARIANCE_FACTOR = 4;
/** Clock granularity G: the scheduler counts milliseconds. */
const CLOCK_GRANULARITY_MS = 1;
const BACKOFF_FACTOR = 2;

export class RttEstimator {
  private srtt = 0;
  private rttvar = 0;
  private measured = false;
  private base: number;
  private backoffs = 0;

  constructor(
    initialMs: number,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.base = initialMs;
  }

  /** The current timeout, including exponential back-off. */
  get rtoMs(): number {
    return Math.min(this.maxMs, this.base * Math.pow(BACKOFF_FACTOR, this.backoffs));
  }

  get smoothedRttMs(): number | null {
    return this.measured ? this.srtt : null;
  }

  /** A sample from a segment that was not retransmitted (Karn's rule is the caller's). */
  sample(rttMs: number): void {
    if (!this.measured) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
      this.measured = true;
    } else {
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - rttMs);
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * rttMs;
    }
    this.base = Math.min(this.maxMs, Math.max(this.minMs, this.srtt + Math.max(CLOCK_GRANULARITY_MS, VARIANCE_FACTOR * this.rttvar)));
    this.backoffs = 0;
  }

  backOff(): void {
    if (this.rtoMs < this.maxMs) this.backoffs++;
  }

  /** New data was acknowledged: RFC 6298 5.7 keeps the backed-off value only until then. */
  resetBackoff(): void {
    this.backoffs = 0;
  }
}
