import { Headers } from "./headers";
import { fixedBody, serializeHead, writeStream } from "./outgoing-body";
import type { Response } from "./response";
import { statusHasBody } from "./status";

/** Where a response goes: a connection, or a wrapper that puts a deadline on its writes. */
export interface ResponseOutput {
  write(data: Uint8Array | string): Promise<void>;
}

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
export async function writeResponse(connection: ResponseOutput, response: Response, context: WriteContext): Promise<boolean> {
  const headers = new Headers(response.headers);
  const raw = response.rawBody;
  const fixed = fixedBody(raw);
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
  await connection.write(serializeHead(`HTTP/1.1 ${response.status} ${response.statusText}`, headers));
  if (context.headRequest || !statusHasBody(response.status)) return keepAlive;
  if (fixed !== null) {
    if (fixed.length > 0) await connection.write(fixed);
    return keepAlive;
  }
  await writeStream(connection, raw as AsyncIterable<Uint8Array>, chunked);
  return keepAlive;
}
