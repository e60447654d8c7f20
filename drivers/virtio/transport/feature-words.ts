import type { IoRegion } from "../../../kernel/pci/io-region";
import { readRegister, writeRegister, type Readable, type Writable } from "../register";

/**
 * Modern interfaces carry the 64 feature bits in 32-bit words, the word picked by a select
 * register: 0 for bits 0..31, 1 for bits 32..63.
 */
const LOW_WORD = 0;
const HIGH_WORD = 1;
const WORD_BITS = 32n;
const WORD_MASK = (1n << WORD_BITS) - 1n;

/** Every bit a modern interface can carry. */
export const ALL_FEATURE_BITS = (1n << (2n * WORD_BITS)) - 1n;

export function readFeatureWords(regs: IoRegion, select: Writable<4>, word: Readable<4>): bigint {
  writeRegister(regs, select, LOW_WORD);
  const low = readRegister(regs, word);
  writeRegister(regs, select, HIGH_WORD);
  const high = readRegister(regs, word);
  return (BigInt(high) << WORD_BITS) | BigInt(low);
}

export function writeFeatureWords(regs: IoRegion, select: Writable<4>, word: Writable<4>, features: bigint): void {
  writeRegister(regs, select, LOW_WORD);
  writeRegister(regs, word, Number(features & WORD_MASK));
  writeRegister(regs, select, HIGH_WORD);
  writeRegister(regs, word, Number((features >> WORD_BITS) & WORD_MASK));
}
