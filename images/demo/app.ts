// The demo's HTTP routes: the status page, a key-value store kept on the virtio-blk disk and a
// host folder shared over virtio-9p.
// Kept apart from main.ts (which serves it) so it runs under Node in the unit tests as it is.
import { Response } from "../../runtime/http/response";
import type { Request } from "../../runtime/http/request";
import { URL } from "../../runtime/http/url";
import { KvError } from "../../runtime/kv/errors";
import type { KvStore } from "../../runtime/kv/store";
import type { MachineStatus } from "../../runtime/app/index";
import { renderStatusPage, type StatusSnapshot } from "./status";

export interface DemoDependencies {
  /** Undefined when the machine has no disk. */
  readonly store?: KvStore;
  /** The machine's side of the status (the app API's machineStatus). */
  status(): MachineStatus;
  /** Serves FILES_PREFIX (a host folder shared as "www"); undefined when there is none. */
  readonly files?: (request: Request) => Promise<Response>;
}

/** Where the demo serves its host folder. */
export const FILES_PREFIX = "/files";

const KV_PREFIX = "/kv/";
const HTTP = {
  Ok: 200,
  Created: 201,
  NoContent: 204,
  BadRequest: 400,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  InternalError: 500,
  ServiceUnavailable: 503,
  InsufficientStorage: 507,
} as const;
const KV_ERROR_STATUS: Record<KvError["code"], number> = {
  key: HTTP.BadRequest,
  "value-too-large": HTTP.BadRequest,
  full: HTTP.InsufficientStorage,
  corrupt: HTTP.InternalError,
  "read-only": HTTP.Forbidden,
  io: HTTP.ServiceUnavailable,
};

function text(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

function methodNotAllowed(allow: string): Response {
  return new Response("method not allowed\n", { status: HTTP.MethodNotAllowed, headers: { allow } });
}

async function handleKv(request: Request, store: KvStore, key: string): Promise<Response> {
  switch (request.method) {
    case "GET":
    case "HEAD": {
      const value = await store.get(key);
      if (value === undefined) return text(HTTP.NotFound, `no key ${JSON.stringify(key)}`);
      return new Response(value, { headers: { "content-type": "application/octet-stream" } });
    }
    case "PUT": {
      const existed = store.has(key);
      await store.put(key, new Uint8Array(await request.arrayBuffer()));
      return new Response(null, { status: existed ? HTTP.NoContent : HTTP.Created });
    }
    case "DELETE":
      return (await store.delete(key)) ? new Response(null, { status: HTTP.NoContent }) : text(HTTP.NotFound, "no such key");
    default:
      return methodNotAllowed("GET, HEAD, PUT, DELETE");
  }
}

export function createDemoApp(deps: DemoDependencies): (request: Request) => Promise<Response> {
  let requests = 0;
  const snapshot = (): StatusSnapshot => {
    const store = deps.store;
    return { ...deps.status(), http: { requests }, store: store === undefined ? { disk: "none" } : { ...store.stats } };
  };
  return async (request) => {
    requests++;
    const { pathname } = new URL(request.url);
    if (pathname === "/" || pathname === "/status.json") {
      if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed("GET, HEAD");
      const status = snapshot();
      return pathname === "/"
        ? new Response(renderStatusPage(status), { headers: { "content-type": "text/html; charset=utf-8" } })
        : Response.json(status);
    }
    if (pathname === "/kv" || pathname.startsWith(KV_PREFIX)) {
      const store = deps.store;
      if (store === undefined) return text(HTTP.ServiceUnavailable, "this machine has no disk for the store");
      if (pathname === "/kv") return request.method === "GET" ? Response.json(store.keys()) : methodNotAllowed("GET");
      let key: string;
      try {
        key = decodeURIComponent(pathname.slice(KV_PREFIX.length));
      } catch {
        return text(HTTP.BadRequest, "bad percent-encoding in the key");
      }
      try {
        return await handleKv(request, store, key);
      } catch (error) {
        if (error instanceof KvError) return text(KV_ERROR_STATUS[error.code], error.message);
        throw error;
      }
    }
    if (pathname === FILES_PREFIX || pathname.startsWith(`${FILES_PREFIX}/`)) {
      return deps.files === undefined ? text(HTTP.NotFound, "no host folder is shared as www (vireo run --share DIR,tag=www)") : deps.files(request);
    }
    return text(HTTP.NotFound, "not found");
  };
}
