// The demo serving a host folder: a folder shared with mount tag "www" over virtio-9p (read-only)
// appears at /files/, answered as a browser asks: a directory listing, content types, HEAD,
// a byte range, a redirect to the slashed folder, and a refused climb out of the share.
import { randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { demoForFile } from "./lib/demo-guest";

const BROWSER_HEADERS = {
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "accept-encoding": "gzip, deflate, br",
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
};
const demo = demoForFile("vireo-demo-files-", () => ({ variant: { www } }));
const www = join(demo.dir, "www");
const data = randomBytes(64 * 1024);
mkdirSync(join(www, "notes"), { recursive: true });
writeFileSync(join(www, "hello.txt"), "hello from the host\n");
writeFileSync(join(www, "data.bin"), data);
writeFileSync(join(www, "notes", "a <b>.md"), "# notes\n");

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function browserGet(path: string, method = "GET", headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: demo.target.host, port: demo.target.port, method, path, headers: { ...BROWSER_HEADERS, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", (error: Error) => reject(new Error(`${method} ${path}: ${error.message}\nguest console:\n${demo.guest.output}`)));
    req.end();
  });
}

describe("the demo's /files/ (a host folder over virtio-9p)", () => {
  it("says it serves the share", () => {
    expect(demo.guest.output).toContain("demo: serving the host folder shared as www at /files/");
  });

  it("lists the folder as an HTML page with escaped links", async () => {
    const reply = await browserGet("/files/");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^text\/html/);
    const page = reply.body.toString();
    expect(page).toContain("<title>Index of /files/</title>");
    for (const name of ["hello.txt", "data.bin", "notes/"]) expect(page).toContain(`href="./${name}"`);
    const notes = await browserGet("/files/notes/");
    expect(notes.body.toString()).toContain(`href="./a%20%3Cb%3E.md">a &lt;b&gt;.md</a>`);
  });

  it("sends files with their content type, HEAD without a body, and one byte range", async () => {
    const hello = await browserGet("/files/hello.txt");
    expect(hello.status).toBe(200);
    expect(hello.headers["content-type"]).toMatch(/^text\/plain/);
    expect(hello.body.toString()).toBe("hello from the host\n");
    const head = await browserGet("/files/data.bin", "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(data.length));
    expect(head.body.length).toBe(0);
    const part = await browserGet("/files/data.bin", "GET", { range: "bytes=1000-1999" });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe(`bytes 1000-1999/${data.length}`);
    expect(part.body.equals(data.subarray(1000, 2000))).toBe(true);
    const whole = await browserGet("/files/data.bin");
    expect(whole.body.equals(data)).toBe(true);
  });

  it("sends the bare folder path to its slashed form and refuses a climb out of the share", async () => {
    const bare = await browserGet("/files");
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe("/files/");
    expect((await browserGet("/files/%2e%2e/%2e%2e/etc/passwd")).status).toBe(400);
    expect((await browserGet("/files/missing.txt")).status).toBe(404);
  });
});
