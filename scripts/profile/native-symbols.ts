// Native symbols of the kernel, from the debug ELF's symbol table (`nm`), for the instruction
// pointers the profiler samples.
import { execFileSync } from "node:child_process";

export interface NativeSymbol {
  readonly address: bigint;
  /** 0 when the table gives no size (assembly labels): the symbol then reaches the next one. */
  readonly size: bigint;
  readonly name: string;
}

/** The most `nm` output read (the kernel has a few thousand symbols: a few hundred KiB). */
const NM_OUTPUT_LIMIT = 64 * 1024 * 1024;
/** Code symbols: global and local text, weak ones. */
const CODE_TYPES = new Set(["T", "t", "W", "w"]);
/** "address [size] type name", as `nm -n -S` prints. */
const NM_LINE = /^([0-9a-f]+)(?: ([0-9a-f]+))? (\S) (\S+)$/;
/** GCC's split-off cold parts (`f.cold`) and clones (`f.constprop.0`) belong to their function. */
const COMPILER_SUFFIX = /\.(cold|constprop|isra|part|lto_priv)(\.\d+)?.*$/;

/** Parses `nm -n -S --defined-only` output into code symbols sorted by address. */
export function parseNm(text: string): NativeSymbol[] {
  const symbols: NativeSymbol[] = [];
  for (const line of text.split("\n")) {
    const match = NM_LINE.exec(line.trim());
    if (!match || !CODE_TYPES.has(match[3])) continue;
    symbols.push({ address: BigInt(`0x${match[1]}`), size: match[2] === undefined ? 0n : BigInt(`0x${match[2]}`), name: match[4].replace(COMPILER_SUFFIX, "") });
  }
  return symbols.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

export class NativeSymbols {
  constructor(private readonly symbols: readonly NativeSymbol[]) {}

  static fromElf(path: string): NativeSymbols {
    return new NativeSymbols(parseNm(execFileSync("nm", ["-n", "-S", "--defined-only", path], { encoding: "utf8", maxBuffer: NM_OUTPUT_LIMIT })));
  }

  /** The function holding `address`, or undefined outside every symbol. */
  lookup(address: bigint): string | undefined {
    let low = 0;
    let high = this.symbols.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.symbols[mid].address <= address) low = mid + 1;
      else high = mid;
    }
    const symbol = this.symbols[low - 1];
    if (symbol === undefined) return undefined;
    if (symbol.size > 0n && address >= symbol.address + symbol.size) return undefined;
    return symbol.name;
  }
}
