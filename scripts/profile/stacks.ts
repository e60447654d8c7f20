// Turns decoded samples into named stacks (outermost frame first): JavaScript frames as
// "function (file.ts:line)", then the native function the CPU was in unless it was the bytecode
// interpreter itself; folds them for the flame graph and ranks functions by self and total samples.
import { UNKNOWN_FUNCTION, type RawProfile } from "./format";
import type { SourcePosition } from "./source-lines";

export interface Symbolizer {
  /** The native function holding `address`. */
  native(address: bigint): string | undefined;
  /** The TypeScript position of a bundle line. */
  position(bundleLine: number): SourcePosition | undefined;
}

export interface ResolvedSample {
  /** Frame labels, outermost first. */
  readonly stack: readonly string[];
  /** file:line the innermost frame was at, when that frame is JavaScript. */
  readonly leafLine?: string;
}

/** Native functions that run bytecode: time there is the JavaScript function's own. */
export const INTERPRETER_SYMBOLS: ReadonlySet<string> = new Set(["JS_CallInternal"]);
/** Where the CPU halts for the next interrupt. */
export const IDLE_SYMBOLS: ReadonlySet<string> = new Set(["wait_for_interrupt"]);
export const IDLE_LABEL = "(idle)";
export const NATIVE_PREFIX = "[native] ";
const ANONYMOUS = "<anonymous>";
const BUNDLE_NAME = "app.js";
const HEX = 16;
/** The folded-stack format separates frames with ';'. */
const FRAME_SEPARATOR = ";";

function where(position: SourcePosition | undefined, bundleLine: number): string {
  return position === undefined ? `${BUNDLE_NAME}:${bundleLine}` : `${position.file}:${position.line}`;
}

export function resolveSamples(profile: RawProfile, symbolizer: Symbolizer): ResolvedSample[] {
  const labels = new Map<number, string>();
  const functionLabel = (index: number): string => {
    let label = labels.get(index);
    if (label === undefined) {
      const f = profile.functions.get(index);
      label = index === UNKNOWN_FUNCTION || f === undefined ? "<unknown function>" : `${f.name || ANONYMOUS} (${where(symbolizer.position(f.line), f.line)})`;
      labels.set(index, label);
    }
    return label;
  };
  return profile.samples.map((sample) => {
    const stack = sample.frames.map((frame) => functionLabel(frame.function).replaceAll(FRAME_SEPARATOR, ","));
    const symbol = symbolizer.native(sample.rip);
    const leaf = sample.frames[sample.frames.length - 1];
    if (symbol !== undefined && IDLE_SYMBOLS.has(symbol)) stack.push(IDLE_LABEL);
    else if (symbol === undefined || !INTERPRETER_SYMBOLS.has(symbol) || leaf === undefined)
      stack.push(`${NATIVE_PREFIX}${symbol ?? `0x${sample.rip.toString(HEX)}`}`);
    else return { stack, leafLine: where(symbolizer.position(leaf.line), leaf.line) };
    return { stack };
  });
}

/** Identical stacks counted: "outer;inner" -> samples. */
export function foldStacks(samples: readonly ResolvedSample[]): Map<string, number> {
  const folded = new Map<string, number>();
  for (const { stack } of samples) {
    const key = stack.join(FRAME_SEPARATOR);
    folded.set(key, (folded.get(key) ?? 0) + 1);
  }
  return folded;
}

export interface FunctionCost {
  readonly label: string;
  /** Samples where it was the innermost frame. */
  readonly self: number;
  /** Samples where it was anywhere on the stack. */
  readonly total: number;
  /** The file:line most of its own samples were at (JavaScript functions). */
  readonly hotLine?: string;
}

function mostCommon(counts: ReadonlyMap<string, number> | undefined): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [key, count] of counts ?? []) if (count > bestCount) [best, bestCount] = [key, count];
  return best;
}

/** Every function with its self and total samples, most self first (then most total). */
export function rankFunctions(samples: readonly ResolvedSample[]): FunctionCost[] {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const lines = new Map<string, Map<string, number>>();
  for (const { stack, leafLine } of samples) {
    const leaf = stack[stack.length - 1];
    if (leaf === undefined) continue;
    self.set(leaf, (self.get(leaf) ?? 0) + 1);
    for (const label of new Set(stack)) total.set(label, (total.get(label) ?? 0) + 1);
    if (leafLine !== undefined) {
      const counts = lines.get(leaf) ?? new Map<string, number>();
      counts.set(leafLine, (counts.get(leafLine) ?? 0) + 1);
      lines.set(leaf, counts);
    }
  }
  return [...total.entries()]
    .map(([label, count]) => ({ label, self: self.get(label) ?? 0, total: count, hotLine: mostCommon(lines.get(label)) }))
    .sort((a, b) => b.self - a.self || b.total - a.total || a.label.localeCompare(b.label));
}
