import type { ResponseOutput } from "./response-writer";
import { toStream, type BodyInit } from "./body";

const encoder = new TextEncoder();
const HEX_RADIX = 16;
const CRLF = "\r\n";

/** The bytes of a body known in full (none counts as empty), or null for a stream. */
export function fixedBody(body: BodyInit | null): Uint8Array | null {
  if (body === null) return new Uint8Array(0);
  if (typeof body === "string") return encoder.encode(body);
  return body instanceof Uint8Array ? body : null;
}

/** Writes a streamed body as it comes, in chunked coding (RFC 9112 7.1) when `chunked`. */
export async function writeStream(connection: ResponseOutput, body: BodyInit, chunked: boolean): Promise<void> {
  for await (const chunk of toStream(body)) {
    if (chunk.length === 0) continue;
    if (!chunked) {
      await connection.write(chunk);
      continue;
    }
    // Written in one turn, size line, data and CRLF leave in the same segment.
    await Promise.all([connection.write(`${chunk.length.toString(HEX_RADIX)}${CRLF}`), connection.write(chunk), connection.write(CRLF)]);
  }
  if (chunked) await connection.write(`0${CRLF}${CRLF}`);
}

/** A start line and header fields, ready to write. */
export function serializeHead(startLine: string, headers: Iterable<[string, string]>): string {
  let head = `${startLine}${CRLF}`;
  for (const [name, value] of headers) head += `${name}: ${value}${CRLF}`;
  return head + CRLF;
}
