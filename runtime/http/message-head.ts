import { Headers, isToken } from "./headers";

const FIELD_LINE = /^([^:]*):[ \t]*(.*?)[ \t]*$/;
/** A field value may hold visible characters, spaces and tabs, and obs-text. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DIGITS = /^\d+$/;
const LINE_END = "\r\n";

/** The lines of a message head (start line first); header bytes are taken as Latin-1. */
export function headLines(bytes: Uint8Array): string[] {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text.split(LINE_END);
}

/**
 * The header fields of a head (the lines after the start line), or null when one is malformed:
 * obsolete line folding, space before the colon, or a bad name or value.
 */
export function parseFieldLines(lines: readonly string[]): Headers | null {
  const headers = new Headers();
  for (const line of lines) {
    const field = FIELD_LINE.exec(line);
    if (field === null || !isToken(field[1]) || !FIELD_VALUE.test(field[2])) return null;
    headers.append(field[1], field[2]);
  }
  return headers;
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
