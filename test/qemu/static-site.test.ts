// The static-site example as the README's "Serve a static site from a disk image" says to run
// it: a site folder packed by the host's `tar`, `vireo run images/static-site/main.ts --disk
// site.tar,readonly --port 8080:80`, `curl -I`; then its files over HTTP: bytes, HEAD, a byte
// range, a conditional request and a directory listing. The README's lines run as they stand
// but for this run's folder and port, and `npm run vireo --` becomes `node scripts/vireo.mjs`
// (the same command without the npm script's install and setup steps, which the test run has
// done already).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/paths";
import { freePort } from "./lib/ports";

const SECTION = "### Serve a static site from a disk image";
const README_PORT = "8080";
const LISTENING = /listening on http:\/\/10\.0\.2\.15:80\//;
const READY_TIMEOUT_MS = 180_000;
const dir = mkdtempSync(join(tmpdir(), "vireo-static-site-"));
const site = join(dir, "site");
const big = randomBytes(300_000);
let port = 0;
let running: ChildProcess | undefined;
let output = "";

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function send(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer\n${output}`)));
    req.on("error", reject);
    req.end();
  });
}

/** The command lines of the section's sh block, comments dropped. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(SECTION)));
  if (!block) throw new Error(`no sh block in the README's "${SECTION}"`);
  return block[1].split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()).filter(Boolean);
}

/** A README line with this run's folder and port. */
function ours(line: string): string {
  return line
    .replace("npm run vireo --", "node scripts/vireo.mjs")
    .replaceAll("-C site ", `-C ${site} `)
    .replaceAll("site.tar", join(dir, "site.tar"))
    .replaceAll(README_PORT, String(port));
}

beforeAll(async () => {
  mkdirSync(join(site, "css"), { recursive: true });
  mkdirSync(join(site, "files", "sub dir"), { recursive: true });
  writeFileSync(join(site, "index.html"), "<!doctype html><h1>Served from a tar archive</h1>\n");
  writeFileSync(join(site, "css", "site.css"), "body { color: #222 }\n");
  writeFileSync(join(site, "files", "big.bin"), big);
  writeFileSync(join(site, "files", "<notes> & more.txt"), "escaped\n");
  writeFileSync(join(site, "files", "sub dir", "x.txt"), "x\n");
  port = await freePort();
  const [pack, run, check, ...rest] = readmeCommands();
  expect([pack, run, check, rest]).toEqual([expect.stringMatching(/^tar cf /), expect.stringMatching(/^npm run vireo -- run /), expect.stringMatching(/^curl -I /), []]);
  const packed = spawnSync("sh", ["-c", ours(pack)], { cwd: dir, encoding: "utf8" });
  expect(packed.status, packed.stderr).toBe(0);
  running = spawn("sh", ["-c", ours(run)], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  running.stdout?.setEncoding("utf8").on("data", (text: string) => (output += text));
  running.stderr?.setEncoding("utf8").on("data", (text: string) => (output += text));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
    const listening = (): void => {
      if (!LISTENING.test(output)) return;
      clearTimeout(timer);
      resolve();
    };
    running?.stdout?.on("data", listening);
    running?.on("exit", () => reject(new Error(`vireo run ended:\n${output}`)));
  });
  const headers = spawnSync("sh", ["-c", `${ours(check)} --silent --show-error --max-time 30`], { encoding: "utf8" });
  expect(headers.stderr).toBe("");
  expect(headers.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(headers.stdout).toContain("content-type: text/html; charset=utf-8\r\n");
}, READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (running?.pid !== undefined && running.exitCode === null) {
    const ended = new Promise((resolve) => running?.on("exit", resolve));
    process.kill(-running.pid, "SIGTERM");
    await ended;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("static-site example", () => {
  it("answers / with index.html and a file with its bytes and content type", async () => {
    const index = await send("GET", "/");
    expect(index.status).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.body.toString()).toContain("Served from a tar archive");
    const css = await send("GET", "/css/site.css");
    expect([css.status, css.headers["content-type"], css.body.toString()]).toEqual([200, "text/css; charset=utf-8", "body { color: #222 }\n"]);
    const file = await send("GET", "/files/big.bin");
    expect(file.status).toBe(200);
    expect(Buffer.compare(file.body, big)).toBe(0);
  }, 60_000);

  it("answers HEAD with the length and validators, and a matching If-None-Match with 304", async () => {
    const head = await send("HEAD", "/files/big.bin");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(big.length));
    expect(head.body.length).toBe(0);
    expect(head.headers["last-modified"]).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const etag = String(head.headers.etag);
    expect((await send("GET", "/files/big.bin", { "if-none-match": etag })).status).toBe(304);
  });

  it("answers a byte range with 206 and one past the end with 416", async () => {
    const part = await send("GET", "/files/big.bin", { range: "bytes=100000-100099" });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe(`bytes 100000-100099/${big.length}`);
    expect(Buffer.compare(part.body, big.subarray(100000, 100100))).toBe(0);
    const past = await send("GET", "/files/big.bin", { range: `bytes=${big.length}-` });
    expect([past.status, past.headers["content-range"]]).toEqual([416, `bytes */${big.length}`]);
  });

  it("lists a directory without an index, names escaped, and refuses a path climbing out", async () => {
    const redirect = await send("GET", "/files");
    expect([redirect.status, redirect.headers.location]).toEqual([301, "/files/"]);
    const listing = (await send("GET", "/files/")).body.toString();
    expect(listing).toContain('<a href="./sub%20dir/">sub dir/</a>');
    expect(listing).toContain(`<a href="./big.bin">big.bin</a></td><td>${big.length}</td>`);
    expect(listing).toContain("&lt;notes&gt; &amp; more.txt");
    expect((await send("GET", "/files/%3Cnotes%3E%20%26%20more.txt")).body.toString()).toBe("escaped\n");
    expect((await send("GET", "/files/%2e%2e/%2e%2e/etc/passwd")).status).toBe(400);
  });
});
