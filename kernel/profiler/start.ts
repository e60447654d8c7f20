/**
 * Starts the sampling profiler: the native recorder takes its buffer, the PIT ticks at the
 * chosen rate, and its line reaches the CPU as an NMI, which interrupts JavaScript too (the
 * kernel runs with interrupts disabled outside its halt). The recording ends after the chosen
 * seconds (counted in samples by the recorder) or when the machine exits; the recorder then
 * writes it out (scripts/profile reads it).
 */
import type { PortIo } from "../platform";
import type { ProfileOptions } from "./options";
import { pitDivisor, startPit, stopPit } from "./pit";

/** The PIT's ISA interrupt line. */
const PIT_ISA_IRQ = 0;
const MS_PER_SECOND = 1000;

/** The native side: the sample buffer and the NMI's recording. */
export interface ProfileRecorder {
  /** After `tickLimit` samples (0: no limit) the recorder writes the profile out by itself. */
  start(bufferBytes: number, hz: number, tickLimit: number): void;
  finish(): void;
}

export interface ProfilerMachine {
  readonly ports: PortIo;
  readonly recorder: ProfileRecorder;
  /** Routes an ISA line as an NMI; returns what masks it again. */
  routeIsaIrqAsNmi(irq: number): () => void;
  /** A timer that does not keep the machine running. */
  setBackgroundTimeout(callback: () => void, delayMs: number): void;
}

/** Starts recording; returns the function that ends it (also safe to call twice). */
export function startProfiler(options: ProfileOptions, machine: ProfilerMachine): () => void {
  const divisor = pitDivisor(options.hz);
  // The recorder counts the seconds in ticks itself, as JavaScript that never yields would hold
  // back the timer below; the timer then only silences the PIT and its NMI.
  const tickLimit = options.seconds === undefined ? 0 : Math.ceil(options.seconds * options.hz);
  machine.recorder.start(options.bufferBytes, options.hz, tickLimit);
  const mask = machine.routeIsaIrqAsNmi(PIT_ISA_IRQ);
  startPit(machine.ports, divisor);
  let running = true;
  const stop = (): void => {
    if (!running) return;
    running = false;
    mask();
    stopPit(machine.ports);
    machine.recorder.finish();
  };
  if (options.seconds !== undefined) machine.setBackgroundTimeout(stop, options.seconds * MS_PER_SECOND);
  return stop;
}
