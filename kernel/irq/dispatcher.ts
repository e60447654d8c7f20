/**
 * Runs interrupt handlers from the event loop (never in interrupt context): the kernel records
 * and acknowledges vectors; each loop turn takes the set and calls the registered handlers.
 */
import { VECTOR_WORDS, type InterruptHardware } from "./hardware";

export type InterruptHandler = () => void;

const BITS_PER_WORD = 32;
const VECTOR_COUNT = VECTOR_WORDS * BITS_PER_WORD;

export class InterruptDispatcher {
  private readonly handlers: (InterruptHandler | undefined)[] = new Array(VECTOR_COUNT).fill(undefined);
  private readonly fired = new Uint32Array(VECTOR_WORDS);
  /** Interrupts that arrived on a vector with no handler. */
  unexpected = 0;
  delivered = 0;

  constructor(private readonly hardware: InterruptHardware) {}

  register(vector: number, handler: InterruptHandler): void {
    if (this.handlers[vector] !== undefined) throw new Error(`vector ${vector} already has a handler`);
    this.handlers[vector] = handler;
  }

  unregister(vector: number): void {
    this.handlers[vector] = undefined;
  }

  /** Calls the handler of every vector that fired; returns how many did. */
  dispatch(): number {
    if (this.hardware.takeInterrupts(this.fired) === 0) return 0;
    let count = 0;
    for (let word = 0; word < VECTOR_WORDS; word++) {
      let bits = this.fired[word];
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits);
        bits &= ~(1 << bit);
        const handler = this.handlers[word * BITS_PER_WORD + bit];
        count++;
        if (handler === undefined) this.unexpected++;
        else handler();
      }
    }
    this.delivered += count;
    return count;
  }
}
