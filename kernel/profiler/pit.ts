/**
 * PIT (8254) channel 0 as a periodic rate generator: the sampling profiler's clock. It is free
 * while profiling (the kernel's clock is the TSC, its deadlines the local APIC timer).
 */
import type { PortIo } from "../platform";

export const PIT_HZ = 1_193_182;
const CHANNEL0 = 0x40;
const COMMAND = 0x43;
/** Channel 0, lobyte/hibyte access, mode 2 (rate generator), binary. */
const CHANNEL0_RATE_GENERATOR = 0b0011_0100;
/** Channel 0, lobyte/hibyte access, mode 0 (interrupt on terminal count): one edge, then quiet. */
const CHANNEL0_ONE_SHOT = 0b0011_0000;
const MAX_DIVISOR = 0xffff;
const MIN_DIVISOR = 2;
const BYTE = 0xff;
const BYTE_BITS = 8;

/** The divisor for `hz`; a RangeError outside what the PIT can count. */
export function pitDivisor(hz: number): number {
  const divisor = Math.round(PIT_HZ / hz);
  if (!Number.isFinite(divisor) || divisor < MIN_DIVISOR || divisor > MAX_DIVISOR)
    throw new RangeError(`the PIT cannot tick at ${hz} Hz (${Math.ceil(PIT_HZ / MAX_DIVISOR)} to ${Math.floor(PIT_HZ / MIN_DIVISOR)})`);
  return divisor;
}

function load(ports: PortIo, mode: number, count: number): void {
  ports.write8(COMMAND, mode);
  ports.write8(CHANNEL0, count & BYTE);
  ports.write8(CHANNEL0, (count >>> BYTE_BITS) & BYTE);
}

/** Starts channel 0 ticking `divisor` PIT cycles apart. */
export function startPit(ports: PortIo, divisor: number): void {
  load(ports, CHANNEL0_RATE_GENERATOR, divisor);
}

/** Stops the periodic ticks (a one-shot count that is never reloaded). */
export function stopPit(ports: PortIo): void {
  load(ports, CHANNEL0_ONE_SHOT, MAX_DIVISOR);
}
