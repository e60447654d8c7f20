import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { serve, type ServeOptions } from "../../runtime/http/server";
import { Response } from "../../runtime/http/response";
import type { TcpConnection } from "../../runtime/net/tcp/connection";
import { tcpPair } from "../tcp/pair";

const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A server on the pair's server host and a raw TCP client; returns everything the client read. */
async function exchange(request: string | Uint8Array, fetch: ServeOptions["fetch"], limits: ServeOptions["limits"] = {}) {
  const pair = tcpPair();
  serve(pair.server.stack, { port: 80, fetch, limits });
  let client: TcpConnection | null = null;
  void pair.client.tcp.connect("10.0.2.2", 80).then((c) => (client = c));
  await pair.runUntil(() => client !== null);
  const connection = client as unknown as TcpConnection;
  const chunks: Uint8Array[] = [];
  let ended = false;
  connection.onData((chunk) => chunks.push(chunk));
  connection.onEnd(() => (ended = true));
  void connection.write(request);
  return { pair, connection, chunks, isEnded: () => ended, text: () => chunks.map(decode).join("") };
}

const hello: ServeOptions["fetch"] = async (request) => new Response(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);

describe("http server", () => {
  it("answers pipelined keep-alive requests in order, with Content-Length", async () => {
    const { pair, text, isEnded } = await exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyzGET /c HTTP/1.1\r\nHost: x\r\n\r\n", hello);
    await pair.runUntil(() => (text().match(/HTTP\/1\.1 200/g) ?? []).length === 3, 1000);
    const responses = text().split(/(?=HTTP\/1\.1 )/);
    expect(responses.map((r) => r.slice(r.indexOf("\r\n\r\n") + 4))).toEqual(["GET /a ", "POST /b xyz", "GET /c "]);
    expect(responses[0]).toContain("content-length: 7\r\n");
    expect(isEnded()).toBe(false);
  });

  it("finds a pipelined request head that completes in a later segment", async () => {
    const { pair, connection, text } = await exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n", hello);
    await pair.runUntil(() => text().includes("GET /a"), 1000);
    void connection.write("Host: x\r\n\r\n");
    await pair.runUntil(() => text().includes("GET /b"), 1000);
    expect(text()).toContain("GET /b ");
  });

  it("reads a chunked request body and streams a chunked response", async () => {
    const { pair, text } = await exchange(
      "POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n",
      async (request) => {
        const body = await request.text();
        async function* parts() {
          yield new TextEncoder().encode(body.toUpperCase());
          yield new TextEncoder().encode("!");
        }
        return new Response(parts(), { status: 201 });
      },
    );
    await pair.runUntil(() => text().endsWith("0\r\n\r\n"), 1000);
    expect(text()).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(text()).toContain("transfer-encoding: chunked\r\n");
    expect(text().slice(text().indexOf("\r\n\r\n") + 4)).toBe("b\r\nHELLO WORLD\r\n1\r\n!\r\n0\r\n\r\n");
  });

  it.each([
    ["431 for an oversized head", `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(2000)}\r\n\r\n`, 431],
    ["413 for a declared body beyond the limit", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413],
    ["413 for a chunked body beyond the limit", `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n${"a".repeat(2048)}\r\n0\r\n\r\n`, 413],
    ["400 for a malformed request line", "GET /\r\n\r\n", 400],
    ["400 for a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400],
    ["400 for a missing Host", "GET / HTTP/1.1\r\n\r\n", 400],
    ["400 for conflicting lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400],
    ["400 for a bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400],
    ["501 for an unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501],
  ])("answers %s and closes", async (_name, request, status) => {
    const { pair, text, isEnded } = await exchange(request, hello, { maxHeaderBytes: 1024, maxBodyBytes: 1024 });
    await pair.runUntil(isEnded, 1000);
    expect(text()).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(text()).toContain("connection: close\r\n");
  });

  it("closes after Connection: close and after an HTTP/1.0 request", async () => {
    for (const request of ["GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET / HTTP/1.0\r\n\r\n"]) {
      const { pair, text, isEnded } = await exchange(request, hello);
      await pair.runUntil(isEnded, 1000);
      expect(text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text().endsWith("GET / ")).toBe(true);
    }
  });

  it("leaves no timer of the exchange armed once both ends have closed", async () => {
    const limits = { idleTimeoutMs: 300_000, sendTimeoutMs: 300_000 };
    const { pair, connection, isEnded } = await exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", hello, limits);
    await pair.runUntil(isEnded, 1000);
    connection.end();
    // The idle and send deadlines of the served connection end with it, not when they would fire.
    await pair.runUntil(() => pair.scheduler.pendingTimers === 0, 400_000, 100);
    expect(pair.scheduler.pendingTimers).toBe(0);
    expect(pair.scheduler.now()).toBeLessThan(limits.idleTimeoutMs);
  });

  it("answers 500 when the app throws and HEAD without a body", async () => {
    const { pair, text } = await exchange("GET /boom HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n", (request) => {
      if (request.method === "GET") throw new Error("app bug");
      return new Response("body");
    });
    await pair.runUntil(() => text().includes("content-length: 4\r\n"), 1000);
    await pair.scheduler.advance(10);
    expect(text()).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(text().endsWith("\r\n\r\n")).toBe(true);
    expect(text()).not.toContain("body");
  });

  it("closes an idle connection", async () => {
    const { pair, isEnded } = await exchange("GET / HTTP/1.1\r\n", hello, { idleTimeoutMs: 5000 });
    await pair.scheduler.advance(4900);
    expect(isEnded()).toBe(false);
    await pair.runUntil(isEnded, 1000);
    expect(isEnded()).toBe(true);
  });

  it("closes a connection whose announced body never comes, and the handler's read fails", async () => {
    const failures: string[] = [];
    const { pair, isEnded } = await exchange("PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc", async (request) => {
      try {
        return new Response(await request.text());
      } catch (error) {
        failures.push(String(error));
        throw error;
      }
    }, { idleTimeoutMs: 5000 });
    await pair.scheduler.advance(4900);
    expect(isEnded()).toBe(false);
    await pair.runUntil(isEnded, 1000);
    expect(isEnded()).toBe(true);
    await pair.runUntil(() => failures.length > 0, 1000);
    expect(failures).toEqual(["Error: truncated body"]);
  });

  it("resets a connection whose client takes none of the response for sendTimeoutMs", async () => {
    const pair = tcpPair();
    serve(pair.server.stack, { port: 80, fetch: () => new Response(new Uint8Array(1024 * 1024)), limits: { sendTimeoutMs: 3000 } });
    let client: TcpConnection | null = null;
    void pair.client.tcp.connect("10.0.2.2", 80).then((c) => (client = c));
    await pair.runUntil(() => client !== null);
    const connection = client as unknown as TcpConnection;
    const errors: string[] = [];
    connection.onError((error) => errors.push(error.code));
    void connection.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // The client never reads: its window closes and the server's write waits.
    await pair.runUntil(() => connection.state === "CLOSED", 20_000);
    expect(errors).toEqual(["reset"]);
    expect(pair.server.stack.counters.tcp.resetsOut).toBe(1);
  });

  it("answers 503 past the server's budget of buffered body bytes and gives bytes back once answered", async () => {
    const body = (n: number): string => `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${n}\r\n\r\n${"b".repeat(n)}`;
    const limits = { maxBufferedBodyBytes: 1000 };
    const sized: ServeOptions["fetch"] = async (request) => new Response(String((await request.text()).length));
    const within = await exchange(body(600) + body(600), sized, limits);
    await within.pair.runUntil(() => (within.text().match(/HTTP\/1\.1 200/g) ?? []).length === 2, 1000);
    expect(within.text().match(/\r\n\r\n600/g)).toHaveLength(2);
    const over = await exchange(body(1200), sized, limits);
    await over.pair.runUntil(over.isEnded, 1000);
    expect(over.text()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
  });

  it("counts chunked trailer fields against the body limit", async () => {
    const trailers = Array.from({ length: 20 }, (_, i) => `X-T${i}: ${"t".repeat(20)}\r\n`).join("");
    const { pair, text, isEnded } = await exchange(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n${trailers}\r\n`, hello, { maxBodyBytes: 100 });
    await pair.runUntil(isEnded, 1000);
    expect(text()).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("round-trips a 1 MiB body between two stacks, checked by SHA-256", async () => {
    const body = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 2654435761) >>> 24);
    const expected = createHash("sha256").update(body).digest("hex");
    let serverHash = "";
    const head = new TextEncoder().encode(`PUT /blob HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    const request = new Uint8Array(head.length + body.length);
    request.set(head);
    request.set(body, head.length);
    const { pair, chunks } = await exchange(
      request,
      async (req) => {
        const received = new Uint8Array(await req.arrayBuffer());
        serverHash = createHash("sha256").update(received).digest("hex");
        return new Response(received, { headers: { "content-type": "application/octet-stream" } });
      },
      { maxBodyBytes: 2 * 1024 * 1024 },
    );
    const total = () => chunks.reduce((n, c) => n + c.length, 0);
    await pair.runUntil(() => total() >= body.length + 60, 60_000);
    expect(serverHash).toBe(expected);
    const all = Buffer.concat(chunks);
    const split = all.indexOf("\r\n\r\n") + 4;
    expect(all.subarray(0, split).toString()).toContain(`content-length: ${body.length}\r\n`);
    expect(createHash("sha256").update(all.subarray(split)).digest("hex")).toBe(expected);
  });
});
