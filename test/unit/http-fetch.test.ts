import { describe, expect, it } from "vitest";
import { createFetch } from "../../runtime/http/fetch";
import { Response } from "../../runtime/http/response";
import { serve, type ServeOptions } from "../../runtime/http/server";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { AbortController } from "../../kernel/web/abort";
import { tcpPair } from "../tcp/pair";

const encoder = new TextEncoder();
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A server on 10.0.2.2:80 and a fetch on the client host; `settle` runs both until `promise` does. */
function setup(handler?: ServeOptions["fetch"]) {
  const pair = tcpPair();
  if (handler !== undefined) serve(pair.server.stack, { port: 80, fetch: handler });
  const fetch = createFetch(pair.client.stack);
  const settle = async <T>(promise: Promise<T>): Promise<T> => {
    let outcome: { value: T } | { error: unknown } | null = null;
    promise.then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    await pair.runUntil(() => outcome !== null);
    const settled = outcome as { value: T } | { error: unknown } | null;
    if (settled === null) throw new Error("did not settle");
    if ("error" in settled) throw settled.error;
    return settled.value;
  };
  return { pair, fetch, settle };
}

describe("http fetch client", () => {
  it("gets a Content-Length response with status, headers and body", async () => {
    const { fetch, settle } = setup((request) => Response.json({ path: new URL(request.url).pathname, query: new URL(request.url).search, host: request.headers.get("host") }, { status: 201, headers: { "x-vireo": "yes" } }));
    const response = await settle(fetch("http://10.0.2.2/items?id=7"));
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Created");
    expect(response.headers.get("x-vireo")).toBe("yes");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await settle(response.json())).toEqual({ path: "/items", query: "?id=7", host: "10.0.2.2" });
  });

  it("posts a body and a streamed body (sent chunked)", async () => {
    const { fetch, settle } = setup(async (request) => new Response(`${request.method} ${request.headers.get("transfer-encoding") ?? request.headers.get("content-length")} ${await request.text()}`));
    const fixed = await settle(fetch("http://10.0.2.2/", { method: "post", body: "hello" }));
    expect(await settle(fixed.text())).toBe("POST 5 hello");
    async function* parts() {
      yield encoder.encode("str");
      yield encoder.encode("eamed");
    }
    const streamed = await settle(fetch("http://10.0.2.2/", { method: "PUT", body: parts() }));
    expect(await settle(streamed.text())).toBe("PUT chunked streamed");
  });

  it("streams a chunked response: the first chunk arrives before the server finishes", async () => {
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const { fetch, settle } = setup(() => {
      async function* parts() {
        yield encoder.encode("first ");
        await finished;
        yield encoder.encode("second");
      }
      return new Response(parts());
    });
    const response = await settle(fetch("http://10.0.2.2/stream"));
    expect(response.headers.get("transfer-encoding")).toBe("chunked");
    const iterator = (response.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const first = await settle(iterator.next());
    expect(decode(first.value as Uint8Array)).toBe("first ");
    finish();
    const second = await settle(iterator.next());
    expect(decode(second.value as Uint8Array)).toBe("second");
    expect((await settle(iterator.next())).done).toBe(true);
    expect(response.bodyUsed).toBe(true);
  });

  it("reads a body delimited by the connection close, after a 100 Continue", async () => {
    const { pair, fetch, settle } = setup();
    pair.server.stack.tcp.listen(8080, (connection: TcpConnection) => {
      void connection.read().then(async () => {
        await connection.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nX-Old: 1\r\n\r\nuntil the end");
        connection.end();
      });
    });
    const response = await settle(fetch("http://10.0.2.2:8080/"));
    expect(response.headers.get("x-old")).toBe("1");
    expect(await settle(response.text())).toBe("until the end");
    await pair.runUntil(() => pair.client.stack.tcp.connections === 0 || pair.client.stack.counters.tcp.connections === 0);
  });

  it("gives a 204 and a HEAD response no body and closes the connection", async () => {
    const { pair, fetch, settle } = setup((request) => (request.method === "HEAD" ? new Response("ignored") : new Response(null, { status: 204 })));
    const empty = await settle(fetch("http://10.0.2.2/"));
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const head = await settle(fetch("http://10.0.2.2/", { method: "HEAD" }));
    expect(head.headers.get("content-length")).toBe("7");
    expect(await settle(head.text())).toBe("");
    await pair.runUntil(() => pair.server.stack.tcp.connections === 0, 120_000);
    expect(pair.server.stack.tcp.connections).toBe(0);
  });

  it("rejects non-http URLs with TypeError and refused connections with NetError", async () => {
    const { fetch, settle } = setup();
    await expect(settle(fetch("https://10.0.2.2/"))).rejects.toBeInstanceOf(TypeError);
    await expect(settle(fetch("not a url"))).rejects.toBeInstanceOf(TypeError);
    await expect(settle(fetch("http://10.0.2.2:81/"))).rejects.toMatchObject({ name: "NetError", code: "refused" });
  });

  it("rejects a response that sends interim (1xx) heads without end", async () => {
    const { pair, fetch, settle } = setup();
    pair.server.stack.tcp.listen(80, (connection: TcpConnection) => {
      void connection.read().then(() => connection.write("HTTP/1.1 102 Processing\r\n\r\n".repeat(1000) + "HTTP/1.1 204 No Content\r\n\r\n"));
    });
    await expect(settle(fetch("http://10.0.2.2/"))).rejects.toThrow(/interim/);
  });

  it("rejects a malformed response head with TypeError", async () => {
    const { pair, fetch, settle } = setup();
    pair.server.stack.tcp.listen(80, (connection: TcpConnection) => {
      void connection.read().then(() => connection.write("SPDY/9 200 OK\r\n\r\n"));
    });
    await expect(settle(fetch("http://10.0.2.2/"))).rejects.toBeInstanceOf(TypeError);
  });

  it("rejects with the signal's reason when it aborts before or while waiting for the response, and resets the connection", async () => {
    const { pair, fetch, settle } = setup();
    const already = new AbortController();
    already.abort("too late");
    await expect(settle(fetch("http://10.0.2.2/", { signal: already.signal }))).rejects.toBe("too late");
    let held: TcpConnection | undefined;
    pair.server.stack.tcp.listen(80, (connection: TcpConnection) => (held = connection));
    const controller = new AbortController();
    const pending = fetch("http://10.0.2.2/", { signal: controller.signal });
    await pair.runUntil(() => held !== undefined);
    let reset = false;
    held?.onError(() => (reset = true));
    controller.abort("user gave up");
    await expect(settle(pending)).rejects.toBe("user gave up");
    await pair.runUntil(() => reset);
    expect(reset).toBe(true);
  });

  it("lets the signal go once the body has been read, or at once when there is none", async () => {
    const { fetch, settle } = setup((request) => (request.method === "HEAD" ? new Response(null) : new Response("whole")));
    const watching = new Set<() => void>();
    const signal = {
      aborted: false,
      reason: undefined,
      addEventListener: (_: "abort", listener: () => void) => void watching.add(listener),
      removeEventListener: (_: "abort", listener: () => void) => void watching.delete(listener),
    };
    const response = await settle(fetch("http://10.0.2.2/", { signal }));
    expect(watching.size).toBe(1);
    expect(await settle(response.text())).toBe("whole");
    expect(watching.size).toBe(0);
    await settle(fetch("http://10.0.2.2/", { method: "HEAD", signal }));
    expect(watching.size).toBe(0);
  });
});
