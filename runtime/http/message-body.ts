import { LimitExceeded, type ByteReader } from "./byte-reader";
import { HttpError } from "./request-head";
import { STATUS_BAD_REQUEST, STATUS_PAYLOAD_TOO_LARGE } from "./status";

/** How a message body is delimited (RFC 9112 6.3); "close": by the end of the connection. */
export type Framing =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

const HEX_SIZE = /^[0-9a-fA-F]+$/;
const HEX_RADIX = 16;
/** Longest chunk-size line (with extensions) or trailer line accepted. */
const MAX_CHUNK_LINE = 4096;
const MAX_READ = 64 * 1024;
const CRLF_LENGTH = 2;

/**
 * A message body as chunks straight from the connection. Throws HttpError 413 past
 * `maxBytes`, 400 on bad chunked framing or a truncated body.
 */
export async function* messageBody(reader: ByteReader, framing: Framing, maxBytes: number): AsyncGenerator<Uint8Array> {
  if (framing.kind === "none") return;
  if (framing.kind === "close") {
    let total = 0;
    for (;;) {
      const chunk = await reader.readUpTo(MAX_READ);
      if (chunk === null) return;
      total += chunk.length;
      if (total > maxBytes) throw new HttpError(STATUS_PAYLOAD_TOO_LARGE, "body too large");
      yield chunk.slice();
    }
  }
  if (framing.kind === "length") {
    if (framing.length > maxBytes) throw new HttpError(STATUS_PAYLOAD_TOO_LARGE, "body too large");
    yield* exactly(reader, framing.length);
    return;
  }
  // Chunk data, size lines (extensions included) and trailer lines all count against maxBytes.
  let total = 0;
  const count = (bytes: number): void => {
    total += bytes;
    if (total > maxBytes) throw new HttpError(STATUS_PAYLOAD_TOO_LARGE, "body too large");
  };
  for (;;) {
    const line = await requireLine(reader);
    count(line.length + CRLF_LENGTH);
    const size = line.split(";")[0].trim();
    if (!HEX_SIZE.test(size)) throw new HttpError(STATUS_BAD_REQUEST, "bad chunk size");
    const length = parseInt(size, HEX_RADIX);
    count(length);
    if (length === 0) break;
    yield* exactly(reader, length);
    if ((await requireLine(reader)) !== "") throw new HttpError(STATUS_BAD_REQUEST, "chunk not followed by CRLF");
  }
  // Trailer fields are read and ignored.
  for (let line = await requireLine(reader); line !== ""; line = await requireLine(reader)) count(line.length + CRLF_LENGTH);
}

async function* exactly(reader: ByteReader, length: number): AsyncGenerator<Uint8Array> {
  for (let left = length; left > 0; ) {
    const chunk = await reader.readUpTo(Math.min(left, MAX_READ));
    if (chunk === null) throw new HttpError(STATUS_BAD_REQUEST, "truncated body");
    left -= chunk.length;
    yield chunk.slice();
  }
}

async function requireLine(reader: ByteReader): Promise<string> {
  const line = await reader.readLine(MAX_CHUNK_LINE).catch((error: unknown) => {
    throw error instanceof LimitExceeded ? new HttpError(STATUS_BAD_REQUEST, "chunk line too long") : error;
  });
  if (line === null) throw new HttpError(STATUS_BAD_REQUEST, "truncated chunked body");
  return String.fromCharCode(...line);
}
