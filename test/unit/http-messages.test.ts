import { describe, expect, it } from "vitest";
import { Headers } from "../../runtime/http/headers";
import { Request } from "../../runtime/http/request";
import { Response } from "../../runtime/http/response";
import { URL, URLSearchParams } from "../../runtime/http/url";

const encoder = new TextEncoder();

describe("Headers", () => {
  it("matches names case-insensitively and joins repeated fields with ', '", () => {
    const headers = new Headers({ "Content-Type": "text/plain" });
    headers.append("Accept", "a/b");
    headers.append("accept", "c/d");
    expect(headers.get("content-type")).toBe("text/plain");
    expect(headers.get("ACCEPT")).toBe("a/b, c/d");
    expect(headers.has("Accept")).toBe(true);
    headers.set("ACCEPT", "*/*");
    expect(headers.get("accept")).toBe("*/*");
    headers.delete("Accept");
    expect(headers.get("accept")).toBeNull();
  });

  it("iterates lower-case names in sorted order and copies from arrays and Headers", () => {
    const headers = new Headers([
      ["X-B", "2"],
      ["x-a", " 1 "],
    ]);
    expect([...headers]).toEqual([
      ["x-a", "1"],
      ["x-b", "2"],
    ]);
    expect([...new Headers(headers).keys()]).toEqual(["x-a", "x-b"]);
  });

  it("rejects invalid names and values with TypeError", () => {
    expect(() => new Headers({ "bad name": "x" })).toThrow(TypeError);
    expect(() => new Headers({ "": "x" })).toThrow(TypeError);
    expect(() => new Headers().set("x", "a\r\nInjected: yes")).toThrow(TypeError);
    expect(() => new Headers().append("x", "a\0b")).toThrow(TypeError);
  });
});

describe("URL and URLSearchParams", () => {
  it("splits an http URL with an IPv4 host, a port, a path, a query and a fragment", () => {
    const url = new URL("HTTP://10.0.2.2:8080/a/b?x=1&y=2#frag");
    expect(url).toMatchObject({ protocol: "http:", hostname: "10.0.2.2", port: "8080", pathname: "/a/b", search: "?x=1&y=2", hash: "#frag" });
    expect(url.host).toBe("10.0.2.2:8080");
    expect(url.origin).toBe("http://10.0.2.2:8080");
    expect(url.href).toBe("http://10.0.2.2:8080/a/b?x=1&y=2#frag");
  });

  it("drops default ports and leading zeros, and defaults the path to /", () => {
    expect(new URL("http://example.com:80").href).toBe("http://example.com/");
    expect(new URL("https://example.com:443/x").port).toBe("");
    expect(new URL("http://example.com:0080/").port).toBe("");
    expect(new URL("http://example.com:08080/").port).toBe("8080");
  });

  it("resolves an absolute path against a base", () => {
    expect(new URL("/next?q", "http://h:81/old/path").href).toBe("http://h:81/next?q");
  });

  it("throws TypeError for invalid URLs", () => {
    for (const bad of ["", "/relative", "example.com", "ftp://h/", "http://", "http://h:99999/", "http://h:port/", "http://user@h/", "http://h/a b"]) {
      expect(() => new URL(bad), bad).toThrow(TypeError);
    }
  });

  it("percent-decodes query names and values, with + as a space", () => {
    const params = new URL("http://h/?q=a+b%20c&name=%E2%9C%93&empty&x=1&x=2&bad=%zz").searchParams;
    expect(params.get("q")).toBe("a b c");
    expect(params.get("name")).toBe("✓");
    expect(params.get("empty")).toBe("");
    expect(params.getAll("x")).toEqual(["1", "2"]);
    expect(params.get("bad")).toBe("%zz");
    expect(params.get("missing")).toBeNull();
    expect(params.has("empty")).toBe(true);
  });

  it("sets, deletes and serializes with form encoding", () => {
    const params = new URLSearchParams("?a=1&b=2&a=3");
    params.set("a", "x y");
    expect([...params]).toEqual([
      ["a", "x y"],
      ["b", "2"],
    ]);
    params.append("c", "&=");
    params.delete("b");
    expect(params.size).toBe(2);
    expect(params.toString()).toBe("a=x+y&c=%26%3D");
  });
});

describe("Request and Response", () => {
  it("reads a body once; a second read throws TypeError", async () => {
    const request = new Request("http://h/", { method: "post", body: "payload" });
    expect(request.method).toBe("POST");
    expect(request.bodyUsed).toBe(false);
    expect(await request.text()).toBe("payload");
    expect(request.bodyUsed).toBe(true);
    await expect(request.text()).rejects.toBeInstanceOf(TypeError);
  });

  it("counts iterating the body stream as reading it", async () => {
    async function* parts() {
      yield encoder.encode("a");
      yield encoder.encode("b");
    }
    const response = new Response(parts());
    const chunks: string[] = [];
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) chunks.push(new TextDecoder().decode(chunk));
    expect(chunks).toEqual(["a", "b"]);
    expect(response.bodyUsed).toBe(true);
    await expect(response.arrayBuffer()).rejects.toBeInstanceOf(TypeError);
  });

  it("builds JSON responses, keeping a Content-Type the caller gave", async () => {
    const response = Response.json({ ok: 1 }, { status: 202 });
    expect(response.status).toBe(202);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ ok: 1 });
    expect(Response.json([], { headers: { "Content-Type": "application/problem+json" } }).headers.get("content-type")).toBe("application/problem+json");
  });

  it("validates the status and defaults statusText to the reason phrase", () => {
    expect(new Response().statusText).toBe("OK");
    expect(new Response(null, { status: 404 }).statusText).toBe("Not Found");
    expect(new Response(null, { status: 299 }).statusText).toBe("");
    expect(new Response(null, { status: 404, statusText: "Gone Fishing" }).statusText).toBe("Gone Fishing");
    expect(new Response(null, { status: 404 }).ok).toBe(false);
    for (const status of [199, 600, 200.5, Number.NaN]) expect(() => new Response(null, { status }), String(status)).toThrow(RangeError);
    expect(() => new Response("body", { status: 204 })).toThrow(TypeError);
  });

  it("labels string bodies as text and reads bytes back", async () => {
    const response = new Response("héllo");
    expect(response.headers.get("content-type")).toBe("text/plain;charset=UTF-8");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(encoder.encode("héllo"));
  });
});
