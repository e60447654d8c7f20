import type { TcpConnection } from "../net/tcp/connection";
import { toStream } from "./body";
import { Headers } from "./headers";
import type { Response } from "./response";
import { statusHasBody } from "./status";

const encoder = new TextEncoder();
const HEX_RADIX = 16;
const CRLF = "\r\n";

export interface WriteContext {
  /** HEAD: headers as for GET, no body. */
  readonly headRequest: boolean;
  readonly keepAlive: boolean;
  /** HTTP/1.0 peers get no chunked coding: a streamed body ends with the connection. */
  readonly http10: boolean;
}

/**
 * Serializes a response: a fixed body gets Content-Length, a streamed one chunked coding.
 * Resolves with whether the connection may carry another request.
 */
export async function writeResponse(connection: TcpConnection, response: Response, context: WriteContext): Promise<boolean> {
  const headers = new Headers(response.headers);
  const raw = response.rawBody;
  const fixed = raw === null || typeof raw === "string" || raw instanceof Uint8Array ? toBytes(raw) : null;
  let keepAlive = context.keepAlive;
  let chunked = false;
  headers.delete("transfer-encoding");
  if (fixed !== null || !statusHasBody(response.status)) {
    if (statusHasBody(response.status)) headers.set("content-length", String(fixed?.length ?? 0));
  } else if (context.http10) {
    headers.delete("content-length");
    keepAlive = false;
  } else if (!headers.has("content-length")) {
    headers.set("transfer-encoding", "chunked");
    chunked = true;
  }
  if (!keepAlive) headers.set("connection", "close");
  else if (context.http10) headers.set("connection", "keep-alive");
  let head = `HTTP/1.1 ${response.status} ${response.statusText}${CRLF}`;
  for (const [name, value] of headers) head += `${name}: ${value}${CRLF}`;
  await connection.write(head + CRLF);
  if (context.headRequest || !statusHasBody(response.status)) return keepAlive;
  if (fixed !== null) {
    if (fixed.length > 0) await connection.write(fixed);
    return keepAlive;
  }
  for await (const chunk of toStream(raw as AsyncIterable<Uint8Array>)) {
    if (chunk.length === 0) continue;
    if (chunked) await connection.write(`${chunk.length.toString(HEX_RADIX)}${CRLF}`);
    await connection.write(chunk);
    if (chunked) await connection.write(CRLF);
  }
  if (chunked) await connection.write(`0${CRLF}${CRLF}`);
  return keepAlive;
}

function toBytes(body: string | Uint8Array | null): Uint8Array {
  if (body === null) return new Uint8Array(0);
  return typeof body === "string" ? encoder.encode(body) : body;
}
