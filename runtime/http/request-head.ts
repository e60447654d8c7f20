import { isToken, type Headers } from "./headers";
import type { Framing } from "./message-body";
import { headLines, parseContentLength, parseFieldLines, transferCodings } from "./message-head";
import { STATUS_BAD_REQUEST, STATUS_NOT_IMPLEMENTED, STATUS_VERSION_NOT_SUPPORTED } from "./status";

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** Minor version of HTTP/1.x. */
  readonly minorVersion: number;
  readonly headers: Headers;
}

/** A request the server answers with `status` and then closes the connection. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const REQUEST_LINE = /^([^ ]+) ([^ ]+) HTTP\/(\d)\.(\d)$/;
const SUPPORTED_MAJOR = "1";

/** Parses the bytes before the empty line. */
export function parseRequestHead(bytes: Uint8Array): RequestHead {
  const lines = headLines(bytes);
  const match = REQUEST_LINE.exec(lines[0]);
  if (match === null || !isToken(match[1])) throw new HttpError(STATUS_BAD_REQUEST, "malformed request line");
  if (match[3] !== SUPPORTED_MAJOR) throw new HttpError(STATUS_VERSION_NOT_SUPPORTED, "unsupported HTTP version");
  const headers = parseFieldLines(lines.slice(1));
  if (headers === null) throw new HttpError(STATUS_BAD_REQUEST, "malformed header field");
  const head = { method: match[1], target: match[2], minorVersion: Number(match[4]), headers };
  if (head.minorVersion >= 1 && !headers.has("host")) throw new HttpError(STATUS_BAD_REQUEST, "missing Host");
  return head;
}

export function requestFraming(headers: Headers): Framing {
  const transferEncoding = headers.get("transfer-encoding");
  if (transferEncoding !== null) {
    const codings = transferCodings(transferEncoding);
    if (codings.some((coding) => coding !== "chunked")) throw new HttpError(STATUS_NOT_IMPLEMENTED, "unsupported transfer coding");
    if (codings.length !== 1) throw new HttpError(STATUS_BAD_REQUEST, "chunked applied more than once");
    // RFC 9112 6.3: Content-Length beside Transfer-Encoding is a smuggling attempt; refuse.
    if (headers.has("content-length")) throw new HttpError(STATUS_BAD_REQUEST, "both Transfer-Encoding and Content-Length");
    return { kind: "chunked" };
  }
  const contentLength = headers.get("content-length");
  if (contentLength === null) return { kind: "none" };
  const length = parseContentLength(contentLength);
  if (length === null) throw new HttpError(STATUS_BAD_REQUEST, "bad Content-Length");
  return length === 0 ? { kind: "none" } : { kind: "length", length };
}

/** Whether the connection stays open after this exchange (RFC 9112 9.3). */
export function wantsKeepAlive(head: RequestHead): boolean {
  const tokens = (head.headers.get("connection") ?? "").toLowerCase().split(",").map((token) => token.trim());
  if (tokens.includes("close")) return false;
  return head.minorVersion >= 1 || tokens.includes("keep-alive");
}
