// The demo image as a user meets it: its status page, the key-value store on the disk (large
// values, surviving a reboot), many keep-alive clients at once, and oversized headers.
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest, Agent } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, type Guest } from "../../scripts/lib/qemu";
import { demoMachine } from "../../scripts/machines/demo";
import { freePort } from "./lib/ports";

const READY = /demo ready: listening on http:\/\/10\.0\.2\.15:80/;
const READY_TIMEOUT_MS = 60_000;
const CLIENTS = 200;
const REQUESTS_PER_CLIENT = 20;
const CONNECT_SPACING_MS = 20;
const dir = mkdtempSync(join(tmpdir(), "vireo-demo-"));
const disk = join(dir, "kv.img");
let port = 0;
let guest: Guest;

interface Reply {
  status: number;
  body: Buffer;
}

function send(method: string, path: string, options: { body?: Buffer; headers?: Record<string, string>; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", (error: Error) => reject(new Error(`${method} ${path}: ${error.message}\nguest console:\n${guest?.output ?? ""}`)));
    req.end(options.body);
  });
}

async function bootDemo(): Promise<Guest> {
  const machine = demoMachine({ httpPort: port }, disk);
  const started = launch({ app: "demo", qemuArgs: [...machine.qemuArgs] });
  await started.waitFor(READY, READY_TIMEOUT_MS);
  return started;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

beforeAll(async () => {
  port = await freePort();
  guest = await bootDemo();
}, READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await guest?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("demo image", () => {
  it("serves the status page with every virtio device", async () => {
    const reply = await send("GET", "/");
    expect(reply.status).toBe(200);
    const page = reply.body.toString();
    expect(page).toContain("<h1>Vireo</h1>");
    for (const type of ["rng", "blk", "net"]) expect(page).toContain(`<td>${type}</td>`);
  });

  it("stores a 1 MiB value and returns it with the same SHA-256", async () => {
    const value = randomBytes(1024 * 1024);
    expect((await send("PUT", "/kv/big", { body: value })).status).toBe(201);
    const back = await send("GET", "/kv/big");
    expect(back.status).toBe(200);
    expect(sha256(back.body)).toBe(sha256(value));
  }, 120_000);

  it("answers a 100 KB header with 431 and keeps serving", async () => {
    const reply = await send("GET", "/", { headers: { "x-huge": "a".repeat(100_000) } }).catch((error: Error) => error);
    if (!(reply instanceof Error)) expect(reply.status).toBe(431);
    expect((await send("GET", "/status.json")).status).toBe(200);
  }, 60_000);

  it("serves 200 concurrent keep-alive connections doing 20 requests each, none failing", async () => {
    expect((await send("PUT", "/kv/small", { body: Buffer.from("tiny") })).status).toBe(201);
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const client = async (index: number): Promise<number> => {
      // QEMU's user-mode port forward accepts host connections through a tiny listen backlog:
      // 200 connects in the same millisecond overflow the host kernel's accept queue before any
      // packet reaches the guest. Clients start 20 ms apart; all 200 are still open at once.
      await new Promise((resolve) => setTimeout(resolve, index * CONNECT_SPACING_MS));
      let ok = 0;
      for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
        const reply = await send("GET", "/kv/small", { agent });
        if (reply.status === 200 && reply.body.toString() === "tiny") ok++;
      }
      return ok;
    };
    const results = await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
    agent.destroy();
    expect(results.reduce((a, b) => a + b, 0)).toBe(CLIENTS * REQUESTS_PER_CLIENT);
  }, 300_000);

  it("keeps stored values across a reboot of the image", async () => {
    const value = randomBytes(4096);
    expect([201, 204]).toContain((await send("PUT", "/kv/persisted", { body: value })).status);
    await guest.stop();
    guest = await bootDemo();
    const back = await send("GET", "/kv/persisted");
    expect(back.status).toBe(200);
    expect(Buffer.compare(back.body, value)).toBe(0);
    expect(sha256((await send("GET", "/kv/big")).body)).toHaveLength(64);
  }, 120_000);
});
