import type { Headers } from "./headers";
import { headLines, parseFieldLines } from "./message-head";

export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
}

const STATUS_LINE = /^HTTP\/1\.(\d) (\d{3})(?: (.*))?$/;

/** Parses a response head (the bytes before the empty line); throws TypeError when malformed. */
export function parseResponseHead(bytes: Uint8Array): ResponseHead {
  const lines = headLines(bytes);
  const match = STATUS_LINE.exec(lines[0]);
  if (match === null) throw new TypeError("malformed HTTP status line");
  const headers = parseFieldLines(lines.slice(1));
  if (headers === null) throw new TypeError("malformed HTTP header field");
  return { status: Number(match[2]), statusText: match[3] ?? "", headers };
}
