/**
 * `serve()` in the shape app authors know from Deno.serve and Bun.serve: a handler (or options
 * with `fetch`), answered on the machine's network once it is up; the handle says when it is
 * listening (`ready`), when it has stopped (`finished`) and stops it (`shutdown()`).
 */
import { formatIpv4 } from "../net/address";
import type { NetStack } from "../net/stack";
import type { Request } from "../http/request";
import type { Response } from "../http/response";
import { serve as serveHttp, type HttpServer, type ServerLimits } from "../http/server";

export type Handler = (request: Request) => Response | Promise<Response>;

/** Where a server listens. */
export interface ListenInfo {
  readonly hostname: string;
  readonly port: number;
}

/** A signal as AbortController gives it (the part serve uses). */
export interface ShutdownSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
}

export interface AppServeOptions {
  fetch: Handler;
  /** TCP port in the guest; default 80 (`vireo run` forwards host 8080 to it). */
  readonly port?: number;
  readonly limits?: Partial<ServerLimits>;
  /** Called once listening; by default a "listening on http://..." line goes to the console. */
  onListen?(info: ListenInfo): void;
  /** Aborting it shuts the server down. */
  readonly signal?: ShutdownSignal;
}

export interface AppServer {
  readonly port: number;
  /** Resolves once the network is up and the server listens. */
  readonly ready: Promise<ListenInfo>;
  /** Resolves when the server has shut down; rejects if it could not start (no network device, no DHCP lease). */
  readonly finished: Promise<void>;
  /** Stops accepting connections (exchanges under way finish) and resolves with `finished`. */
  shutdown(): Promise<void>;
}

export const DEFAULT_PORT = 80;

function defaultOnListen(info: ListenInfo): void {
  console.log(`listening on http://${info.hostname}:${info.port}/`);
}

export function serveOn(network: () => Promise<NetStack>, handlerOrOptions: Handler | AppServeOptions): AppServer {
  const options = typeof handlerOrOptions === "function" ? { fetch: handlerOrOptions } : handlerOrOptions;
  const port = options.port ?? DEFAULT_PORT;
  let server: HttpServer | undefined;
  let stopping = false;
  let stopped: () => void = () => undefined;
  const stoppedPromise = new Promise<void>((resolve) => (stopped = resolve));
  const stop = (): void => {
    stopping = true;
    server?.close();
    if (server !== undefined) stopped();
  };
  const ready = network().then((stack) => {
    server = serveHttp(stack, { port, fetch: options.fetch, limits: options.limits });
    const info = { hostname: formatIpv4(stack.config.address), port };
    (options.onListen ?? defaultOnListen)(info);
    if (stopping) stop();
    return info;
  });
  // Whoever awaits only `finished` learns of a failed start there; `ready` is then not left unhandled.
  ready.catch(() => undefined);
  const finished = ready.then(() => stoppedPromise);
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener("abort", stop, { once: true });
  return {
    port,
    ready,
    finished,
    shutdown: () => {
      stop();
      return finished;
    },
  };
}
