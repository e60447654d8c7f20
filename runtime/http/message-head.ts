import { Headers, isToken } from "./headers";

/** A field value may hold visible characters, spaces and tabs, and obs-text. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DIGITS = /^\d+$/;
const LINE_END = "\r\n";
const COLON = ":";
/** Bytes turned into characters per call, well under any engine's argument limit. */
const DECODE_CHUNK = 4096;

/** The lines of a message head (start line first); header bytes are taken as Latin-1. */
export function headLines(bytes: Uint8Array): string[] {
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += DECODE_CHUNK) {
    parts.push(String.fromCharCode.apply(null, Array.from(bytes.subarray(start, start + DECODE_CHUNK))));
  }
  return parts.join("").split(LINE_END);
}

/**
 * The header fields of a head (the lines after the start line), or null when one is malformed:
 * obsolete line folding, space before the colon, or a bad name or value.
 */
export function parseFieldLines(lines: readonly string[]): Headers | null {
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(COLON);
    if (colon < 0) return null;
    const name = line.slice(0, colon);
    const value = trimOptionalWhitespace(line, colon + 1);
    if (!isToken(name) || !FIELD_VALUE.test(value)) return null;
    headers.append(name, value);
  }
  return headers;
}

function isOptionalWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * line[from..] without leading and trailing spaces and tabs, in one pass each way (a regular
 * expression with a lazy middle backtracks quadratically on long runs of spaces).
 */
function trimOptionalWhitespace(line: string, from: number): string {
  let start = from;
  let end = line.length;
  while (start < end && isOptionalWhitespace(line.charCodeAt(start))) start++;
  while (end > start && isOptionalWhitespace(line.charCodeAt(end - 1))) end--;
  return line.slice(start, end);
}

/** RFC 9110 8.6: one decimal length, possibly repeated; null when invalid. */
export function parseContentLength(value: string): number | null {
  const values = new Set(value.split(",").map((part) => part.trim()));
  const [first] = values;
  if (values.size !== 1 || !DIGITS.test(first)) return null;
  const length = Number(first);
  return Number.isSafeInteger(length) ? length : null;
}

/** The codings of a Transfer-Encoding field, lower-case, in order. */
export function transferCodings(value: string): string[] {
  return value.split(",").map((coding) => coding.trim().toLowerCase());
}
