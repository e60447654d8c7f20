import { formatIpv4 } from "../net/address";
import { Deadline } from "../net/tcp/deadline";
import type { TcpConnection } from "../net/tcp/connection";
import type { TcpListener } from "../net/tcp/listener";
import type { NetStack } from "../net/stack";
import { Tcp } from "../net/tcp/tcp";
import { BodyBudget } from "./body-budget";
import { ByteReader, LimitExceeded } from "./byte-reader";
import { messageBody } from "./message-body";
import { Request } from "./request";
import { HttpError, parseRequestHead, requestFraming, wantsKeepAlive } from "./request-head";
import { Response } from "./response";
import { writeResponse, type ResponseOutput } from "./response-writer";
import { STATUS_HEADER_FIELDS_TOO_LARGE, STATUS_INTERNAL_ERROR, reasonPhrase } from "./status";

export interface ServerLimits {
  /** Request line plus header fields; beyond it the answer is 431. */
  maxHeaderBytes: number;
  /** Request body; beyond it the answer is 413. */
  maxBodyBytes: number;
  /**
   * A connection is closed when the client sends nothing for this long while the server waits
   * for a request head or for more of a request body.
   */
  idleTimeoutMs: number;
  /** A connection is reset when the client takes no part of the response for this long. */
  sendTimeoutMs: number;
  /**
   * Request body bytes read from all connections and not yet answered, at most: a request that
   * would go past it is answered 503, so stalled or slow uploads cannot exhaust memory.
   */
  maxBufferedBodyBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 8 * 1024 * 1024,
  idleTimeoutMs: 30_000,
  sendTimeoutMs: 30_000,
  maxBufferedBodyBytes: 32 * 1024 * 1024,
};

export interface ServeOptions {
  readonly port: number;
  fetch(request: Request): Response | Promise<Response>;
  readonly limits?: Partial<ServerLimits>;
  /** Listen backlog for the TCP listener. */
  readonly backlog?: number;
}

export interface HttpServer {
  readonly port: number;
  /** Stops accepting connections; open ones finish their exchanges. */
  close(): void;
}

/**
 * An HTTP/1.1 server on the stack's TCP (or on a Tcp of one's own): each request goes to
 * `fetch`, one at a time per connection.
 */
export function serve(on: NetStack | Tcp, options: ServeOptions): HttpServer {
  const tcp = on instanceof Tcp ? on : on.tcp;
  const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const budget = new BodyBudget(limits.maxBufferedBodyBytes);
  const listener: TcpListener = tcp.listen(options.port, (connection) => void serveConnection(tcp, connection, options, limits, budget), {
    backlog: options.backlog,
  });
  return { port: options.port, close: () => listener.close() };
}

async function serveConnection(tcp: Tcp, connection: TcpConnection, options: ServeOptions, limits: ServerLimits, budget: BodyBudget): Promise<void> {
  const idle = new Deadline(tcp.scheduler, () => connection.close());
  // A whole head must arrive within the idle time (a client trickling bytes cannot hold the
  // connection); inside a body, each wait for more bytes gets the idle time afresh.
  let readingHead = false;
  const reader = new ByteReader(async () => {
    if (readingHead) return connection.read();
    idle.start(limits.idleTimeoutMs);
    try {
      return await connection.read();
    } finally {
      idle.stop();
    }
  });
  const stalled = new Deadline(tcp.scheduler, () => connection.abort());
  const output = timedOutput(connection, stalled, limits.sendTimeoutMs);
  const host = `${formatIpv4(connection.localAddress)}:${connection.localPort}`;
  const claim = budget.claim();
  try {
    for (;;) {
      idle.start(limits.idleTimeoutMs);
      readingHead = true;
      const headBytes = await reader.readHead(limits.maxHeaderBytes);
      readingHead = false;
      idle.stop();
      if (headBytes === null) break;
      claim.release();
      const head = parseRequestHead(headBytes);
      const framing = requestFraming(head.headers);
      const body = claim.counted(messageBody(reader, framing, limits.maxBodyBytes));
      if (framing.kind === "length" && framing.length > limits.maxBodyBytes) await body.next();
      const request = new Request(`http://${head.headers.get("host") ?? host}${head.target.startsWith("/") ? head.target : "/"}`, {
        method: head.method,
        headers: head.headers,
        body: framing.kind === "none" ? null : body,
      });
      const response = await respond(options, request);
      const keepAlive = await writeResponse(output, response, {
        headRequest: request.method === "HEAD",
        keepAlive: wantsKeepAlive(head),
        http10: head.minorVersion === 0,
      });
      if (!keepAlive || !(await skip(body))) break;
    }
  } catch (error) {
    await answerError(output, error);
  } finally {
    claim.release();
    idle.cancel();
    stalled.cancel();
    connection.close();
  }
}

/** Writes that reset the connection when the client takes none of them for `timeoutMs`. */
function timedOutput(connection: TcpConnection, stalled: Deadline, timeoutMs: number): ResponseOutput {
  return {
    async write(data) {
      stalled.start(timeoutMs);
      try {
        await connection.write(data);
      } finally {
        stalled.stop();
      }
    },
  };
}

async function respond(options: ServeOptions, request: Request): Promise<Response> {
  try {
    return await options.fetch(request);
  } catch (error) {
    // A body error (413, bad chunking) surfaces through the app's read; answer it as such.
    if (error instanceof HttpError) throw error;
    return new Response(reasonPhrase(STATUS_INTERNAL_ERROR), { status: STATUS_INTERNAL_ERROR });
  }
}

/** Answers a request the server could not accept, then the connection closes. */
async function answerError(output: ResponseOutput, error: unknown): Promise<void> {
  const status = error instanceof HttpError ? error.status : error instanceof LimitExceeded ? STATUS_HEADER_FIELDS_TOO_LARGE : null;
  if (status === null) return;
  const response = new Response(reasonPhrase(status), { status });
  await writeResponse(output, response, { headRequest: false, keepAlive: false, http10: false }).catch(() => undefined);
}

/** Skips what the app left unread of a body, so the next request starts in step. */
async function skip(body: AsyncIterable<Uint8Array>): Promise<boolean> {
  try {
    for await (const chunk of body) void chunk;
    return true;
  } catch {
    return false;
  }
}
