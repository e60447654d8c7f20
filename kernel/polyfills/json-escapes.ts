/**
 * JSON.parse that rejects escapes JSON does not have. QuickJS 2021-03-27 parses JSON strings with
 * its JavaScript string scanner, so `"\x41"`, `"\v"` or `"\0"` were accepted.
 */
const JSON_ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t", "u"].map((c) => c.charCodeAt(0)));

/** Index of the first backslash escape JSON does not allow, or -1. */
export function findInvalidJsonEscape(text: string): number {
  // Each step skips the escaped character, so an escaped backslash is never read as a new escape.
  for (let i = text.indexOf("\\"); i >= 0; i = text.indexOf("\\", i + 2)) {
    if (!JSON_ESCAPES.has(text.charCodeAt(i + 1))) return i;
  }
  return -1;
}

export function installStrictJsonEscapes(): void {
  const parse = JSON.parse;
  JSON.parse = function strictParse(text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown): unknown {
    const source = String(text);
    const invalid = source.includes("\\") ? findInvalidJsonEscape(source) : -1;
    if (invalid >= 0) throw new SyntaxError(`Bad escaped character in JSON at position ${invalid}`);
    return parse(source, reviver);
  };
}
