import { describe, expect, it } from "vitest";
import { Request } from "../../runtime/http/request";
import type { Response } from "../../runtime/http/response";
import { staticFiles, StaticFileError } from "../../runtime/http/static-files";
import { requestPath } from "../../runtime/http/request-path";
import { byteRange } from "../../runtime/http/byte-range";
import { formatHttpDate, parseHttpDate } from "../../runtime/http/http-date";
import { MemoryFiles } from "../fs/memory-files";

const BIG = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff);
const files = () =>
  new MemoryFiles({
    "/index.html": "<h1>home</h1>",
    "/css/site.css": "body{}",
    "/docs/a.txt": "alpha",
    "/docs/<b>&\"x\".txt": "tricky name",
    "/docs/sub/c.bin": "c",
    "/big.bin": BIG,
    "/empty.txt": "",
  });

function get(handler: (r: Request) => Promise<Response>, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return handler(new Request(`http://127.0.0.1:8080${path}`, init));
}

async function bytes(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

describe("request paths", () => {
  it("normalises empty segments and keeps a trailing slash", () => {
    expect(requestPath("/")).toEqual({ path: "/", trailingSlash: true });
    expect(requestPath("//a///b/")).toEqual({ path: "/a/b", trailingSlash: true });
    expect(requestPath("/a%20b/%C3%A9")).toEqual({ path: "/a b/é", trailingSlash: false });
  });

  it("refuses dot segments, encoded separators, control characters and bad encodings", () => {
    for (const bad of ["/..", "/a/../b", "/%2e%2e/x", "/%2E%2E", "/a/%2F..%2Fb", "/a%5c..", "/./a", "/a%00b", "/%zz", "a", `/${"x".repeat(5000)}`]) {
      expect(requestPath(bad), bad).toBeNull();
    }
  });
});

describe("byte ranges", () => {
  it("reads one range in its three forms and ignores what it does not understand", () => {
    expect(byteRange("bytes=0-9", 100)).toEqual({ kind: "part", start: 0, end: 10 });
    expect(byteRange("bytes=90-", 100)).toEqual({ kind: "part", start: 90, end: 100 });
    expect(byteRange("bytes=-10", 100)).toEqual({ kind: "part", start: 90, end: 100 });
    expect(byteRange("bytes=-500", 100)).toEqual({ kind: "part", start: 0, end: 100 });
    expect(byteRange("bytes=50-5000", 100)).toEqual({ kind: "part", start: 50, end: 100 });
    for (const ignored of [null, "bytes=0-1,5-6", "items=0-1", "bytes=9-3", "bytes=-", "bytes=a-b"]) expect(byteRange(ignored, 100).kind).toBe("whole");
    for (const past of ["bytes=100-", "bytes=100-200", "bytes=-0"]) expect(byteRange(past, 100).kind).toBe("unsatisfiable");
    expect(byteRange("bytes=-5", 0).kind).toBe("unsatisfiable");
  });
});

describe("HTTP dates", () => {
  it("round-trips an IMF-fixdate and refuses other forms", () => {
    expect(formatHttpDate(784111777000)).toBe("Sun, 06 Nov 1994 08:49:37 GMT");
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(784111777000);
    for (const bad of ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nox 1994 08:49:37 GMT"]) {
      expect(parseHttpDate(bad), bad).toBeNull();
    }
  });
});

describe("static files", () => {
  it("serves a file's bytes with its content type, length, ETag and Last-Modified", async () => {
    const source = files();
    const response = await get(staticFiles(source), "/css/site.css");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(response.headers.get("content-length")).toBe("6");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(response.headers.get("last-modified")).toBe("Fri, 02 Jan 2026 03:04:05 GMT");
    expect(response.headers.get("etag")).toMatch(/^"6-[0-9a-f]+"$/);
    expect(await response.text()).toBe("body{}");
  });

  it("streams a large file in chunks of the configured size", async () => {
    const source = files();
    const response = await get(staticFiles(source, { readChunkBytes: 65536 }), "/big.bin");
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(await bytes(response)).toEqual(BIG);
    expect(source.reads.map((r) => r.length)).toEqual([65536, 65536, 65536, 200_000 - 3 * 65536]);
  });

  it("answers HEAD with the GET headers and reads nothing", async () => {
    const source = files();
    const response = await get(staticFiles(source), "/big.bin", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(BIG.length));
    expect(source.reads).toEqual([]);
  });

  it("answers a single range with 206 and Content-Range, and one past the end with 416", async () => {
    const handler = staticFiles(files());
    const part = await get(handler, "/big.bin", { headers: { range: "bytes=1000-1999" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-1999/${BIG.length}`);
    expect(part.headers.get("content-length")).toBe("1000");
    expect(await bytes(part)).toEqual(BIG.subarray(1000, 2000));
    const suffix = await get(handler, "/docs/a.txt", { headers: { range: "bytes=-3" } });
    expect([suffix.status, await suffix.text()]).toEqual([206, "pha"]);
    const past = await get(handler, "/docs/a.txt", { headers: { range: "bytes=5-" } });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe("bytes */5");
    const several = await get(handler, "/docs/a.txt", { headers: { range: "bytes=0-1,3-4" } });
    expect([several.status, await several.text()]).toEqual([200, "alpha"]);
  });

  it("answers conditional requests with 304 and honours If-Range", async () => {
    const handler = staticFiles(files());
    const first = await get(handler, "/docs/a.txt");
    const etag = first.headers.get("etag") ?? "";
    const lastModified = first.headers.get("last-modified") ?? "";
    expect((await get(handler, "/docs/a.txt", { headers: { "if-none-match": `"other", W/${etag}` } })).status).toBe(304);
    expect((await get(handler, "/docs/a.txt", { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    expect((await get(handler, "/docs/a.txt", { headers: { "if-modified-since": lastModified } })).status).toBe(304);
    expect((await get(handler, "/docs/a.txt", { headers: { "if-modified-since": "Thu, 01 Jan 2026 00:00:00 GMT" } })).status).toBe(200);
    // If-None-Match decides when both are there.
    expect((await get(handler, "/docs/a.txt", { headers: { "if-none-match": '"other"', "if-modified-since": lastModified } })).status).toBe(200);
    expect((await get(handler, "/docs/a.txt", { headers: { range: "bytes=0-0", "if-range": etag } })).status).toBe(206);
    expect((await get(handler, "/docs/a.txt", { headers: { range: "bytes=0-0", "if-range": '"stale"' } })).status).toBe(200);
    expect((await get(handler, "/docs/a.txt", { headers: { range: "bytes=0-0", "if-range": lastModified } })).status).toBe(206);
  });

  it("gives no validators when the source does not know the modification time", async () => {
    const response = await get(staticFiles(new MemoryFiles({ "/a.txt": "a" }, 0)), "/a.txt", { headers: { "if-none-match": "*" } });
    expect(response.status).toBe(200);
    expect(response.headers.has("etag")).toBe(false);
    expect(response.headers.has("last-modified")).toBe(false);
  });

  it("serves index.html for a directory, redirects a directory without its slash, lists one without an index", async () => {
    const handler = staticFiles(files());
    expect(await (await get(handler, "/")).text()).toBe("<h1>home</h1>");
    const redirect = await get(handler, "/docs?x=1");
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/docs/?x=1");
    const listing = await get(handler, "/docs/");
    expect(listing.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const page = await listing.text();
    expect(page).toContain("<title>Index of /docs/</title>");
    expect(page).toContain('<a href="./sub/">sub/</a>');
    expect(page).toContain('<a href="./a.txt">a.txt</a></td><td>5</td>');
    expect(page).toContain('<a href="./%3Cb%3E%26%22x%22.txt">&lt;b&gt;&amp;&quot;x&quot;.txt</a>');
    expect(page).not.toContain("<b>");
    expect(page.indexOf("sub/")).toBeLessThan(page.indexOf("a.txt"));
    expect(page).toContain('<a href="../">../</a>');
  });

  it("folds a listing past its bound into a count, and lists nothing when listings are off", async () => {
    const page = await (await get(staticFiles(files(), { maxListingEntries: 1 }), "/docs/")).text();
    expect(page).toContain("2 more entries not shown");
    expect((await get(staticFiles(files(), { listDirectories: false }), "/docs/")).status).toBe(404);
    expect((await get(staticFiles(files(), { indexFile: null, listDirectories: false }), "/")).status).toBe(404);
  });

  it("refuses escapes, unknown paths and other methods", async () => {
    const handler = staticFiles(files());
    for (const path of ["/../etc/passwd", "/docs/%2e%2e/%2e%2e/x", "/docs/..%2Fa.txt", "/%00"]) expect((await get(handler, path)).status, path).toBe(400);
    expect((await get(handler, "/missing.txt")).status).toBe(404);
    expect((await get(handler, "/docs/a.txt/")).status).toBe(404);
    const post = await get(handler, "/docs/a.txt", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("serves an empty file with an empty body", async () => {
    const response = await get(staticFiles(files()), "/empty.txt");
    expect([response.status, response.headers.get("content-length"), await response.text()]).toEqual([200, "0", ""]);
  });

  it("fails the body with a StaticFileError when the file shrinks while it is sent", async () => {
    const source = files();
    source.read = async () => new Uint8Array(1);
    const response = await get(staticFiles(source), "/docs/a.txt");
    await expect(response.text()).rejects.toBeInstanceOf(StaticFileError);
  });
});

describe("static files under a mount path", () => {
  const handler = staticFiles(files(), { mountPath: "/files/" });

  it("serves the source's root at the mount path and nothing outside it", async () => {
    const file = await get(handler, "/files/docs/a.txt");
    expect(file.status).toBe(200);
    expect(new TextDecoder().decode(await bytes(file))).toBe("alpha");
    expect((await get(handler, "/files/")).status).toBe(200);
    expect((await get(handler, "/docs/a.txt")).status).toBe(404);
    expect((await get(handler, "/filesx/docs/a.txt")).status).toBe(404);
  });

  it("sends the bare mount path and bare directories to their slashed form", async () => {
    const bare = await get(handler, "/files?x=1");
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe("/files/?x=1");
    expect((await get(handler, "/files/docs")).headers.get("location")).toBe("/files/docs/");
  });

  it("refuses a mount path that is not a plain absolute path", () => {
    for (const bad of ["files", "/a/../b", "/%2e%2e"]) expect(() => staticFiles(files(), { mountPath: bad })).toThrow(RangeError);
  });
});
