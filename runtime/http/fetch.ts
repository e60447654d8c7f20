import type { NetStack } from "../net/stack";
import type { TcpConnection } from "../net/tcp/connection";
import type { BodyInit } from "./body";
import { ByteReader } from "./byte-reader";
import { Headers, type HeadersInit } from "./headers";
import { messageBody, type Framing } from "./message-body";
import { parseContentLength, transferCodings } from "./message-head";
import { fixedBody, serializeHead, writeStream } from "./outgoing-body";
import { parseResponseHead, type ResponseHead } from "./response-head";
import { Response } from "./response";
import { statusHasBody } from "./status";
import { URL } from "./url";

export interface FetchInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  /** Response head (status line and fields), at most; beyond it fetch rejects. */
  maxHeaderBytes?: number;
  /**
   * Aborting it rejects the fetch with the signal's reason and resets the connection; while the
   * body is read, the reset ends the read with an error.
   */
  signal?: FetchSignal | null;
}

/** The part of AbortSignal fetch uses. */
export interface FetchSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export type Fetch = (input: string | URL, init?: FetchInit) => Promise<Response>;

const HTTP_DEFAULT_PORT = 80;
const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
/** 1xx responses are interim: the final response follows them. */
const FIRST_FINAL_STATUS = 200;
/** Interim (1xx) responses accepted before the final one: a server may send a few (100, 102, 103), not an endless stream. */
const MAX_INTERIM_RESPONSES = 16;

/**
 * An HTTP/1.1 client over `stack`'s TCP: `const fetch = createFetch(stack)`, then
 * `await fetch("http://10.0.2.2/path")`. Plain http only; one request per connection, which
 * closes when the response body has been read (or failed). Read or discard every body.
 */
export function createFetch(stack: NetStack): Fetch {
  return async (input, init = {}) => fetchOnce(stack, new URL(String(input)), init);
}

async function fetchOnce(stack: NetStack, url: URL, init: FetchInit): Promise<Response> {
  if (url.protocol !== "http:") throw new TypeError(`fetch supports http URLs only: ${url.href}`);
  const signal = init.signal;
  if (!signal) return exchange(stack, url, init, NO_HOOKS);
  if (signal.aborted) throw signal.reason;
  let connection: TcpConnection | undefined;
  let aborted = false;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      aborted = true;
      connection?.abort();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    // The signal keeps watching while the body is read; the connection's close lets it go.
    const hooks: ExchangeHooks = {
      opened: (opened) => {
        connection = opened;
        if (aborted) opened.abort();
      },
      closed: () => signal.removeEventListener("abort", onAbort),
    };
    exchange(stack, url, init, hooks).then(resolve, reject);
  });
}

/** What fetchOnce watches of one exchange's connection. */
interface ExchangeHooks {
  opened(connection: TcpConnection): void;
  closed(): void;
}

const NO_HOOKS: ExchangeHooks = { opened: () => undefined, closed: () => undefined };

async function exchange(stack: NetStack, url: URL, init: FetchInit, hooks: ExchangeHooks): Promise<Response> {
  const method = (init.method ?? "GET").toUpperCase();
  const connection = await stack.tcp.connect(url.hostname, url.port === "" ? HTTP_DEFAULT_PORT : Number(url.port));
  hooks.opened(connection);
  try {
    await writeRequest(connection, url, method, init);
    const reader = new ByteReader(() => connection.read());
    const head = await readFinalHead(reader, init.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
    const framing = responseFraming(method, head);
    if (framing.kind === "none") {
      connection.close();
      hooks.closed();
      return new Response(null, head);
    }
    return new Response(closingAfter(messageBody(reader, framing, Number.POSITIVE_INFINITY), connection, hooks), head);
  } catch (error) {
    connection.abort();
    hooks.closed();
    throw error;
  }
}

async function writeRequest(connection: TcpConnection, url: URL, method: string, init: FetchInit): Promise<void> {
  const headers = new Headers(init.headers);
  const body = init.body ?? null;
  const fixed = fixedBody(body);
  headers.set("host", url.host);
  headers.set("connection", "close");
  headers.delete("transfer-encoding");
  if (body !== null && fixed === null) headers.set("transfer-encoding", "chunked");
  else if (body !== null || method === "POST" || method === "PUT") headers.set("content-length", String(fixed?.length ?? 0));
  await connection.write(serializeHead(`${method} ${url.pathname}${url.search} HTTP/1.1`, headers));
  if (fixed === null) await writeStream(connection, body as BodyInit, true);
  else if (fixed.length > 0) await connection.write(fixed);
}

async function readFinalHead(reader: ByteReader, maxBytes: number): Promise<ResponseHead> {
  for (let interim = 0; interim <= MAX_INTERIM_RESPONSES; interim++) {
    const bytes = await reader.readHead(maxBytes);
    if (bytes === null) throw new TypeError("connection closed before the response");
    const head = parseResponseHead(bytes);
    if (head.status >= FIRST_FINAL_STATUS) return head;
  }
  throw new TypeError(`more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses before the final one`);
}

/** RFC 9112 6.3 for responses: no body, chunked, a length, or whatever precedes the close. */
function responseFraming(method: string, head: ResponseHead): Framing {
  if (method === "HEAD" || !statusHasBody(head.status)) return { kind: "none" };
  const transferEncoding = head.headers.get("transfer-encoding");
  if (transferEncoding !== null) return transferCodings(transferEncoding).pop() === "chunked" ? { kind: "chunked" } : { kind: "close" };
  const contentLength = head.headers.get("content-length");
  if (contentLength === null) return { kind: "close" };
  const length = parseContentLength(contentLength);
  if (length === null) throw new TypeError("bad Content-Length in response");
  return length === 0 ? { kind: "none" } : { kind: "length", length };
}

async function* closingAfter(body: AsyncIterable<Uint8Array>, connection: TcpConnection, hooks: ExchangeHooks): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } finally {
    connection.close();
    hooks.closed();
  }
}
