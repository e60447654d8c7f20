/**
 * Sequence number arithmetic modulo 2^32 (RFC 9293 3.4): a is "before" b when the signed 32-bit
 * distance from a to b is positive, which stays correct across wrap-around.
 */

export function seqAdd(seq: number, delta: number): number {
  return (seq + delta) >>> 0;
}

/** b - a as a signed 32-bit distance. */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(b, a) > 0;
}

export function seqLe(a: number, b: number): boolean {
  return seqDiff(b, a) >= 0;
}

export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** start <= seq < start + length. */
export function seqInWindow(seq: number, start: number, length: number): boolean {
  return seqLe(start, seq) && seqLt(seq, seqAdd(start, length));
}

export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}
