// HTTP figures from the host through QEMU's port forward: requests/s for a small response at
// concurrency 1 and 8, and MB/s for a 1 MiB response, against the demo image.
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { launch } from "../lib/qemu";
import { demoMachine } from "../machines/demo";

const PORT = 18480;
const READY = /demo ready/;
const READY_TIMEOUT_MS = 60_000;
const SMALL_REQUESTS = 600;
const LARGE_BYTES = 1024 * 1024;
const LARGE_REQUESTS = 8;

function call(method: string, path: string, agent: Agent, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: PORT, method, path, agent }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () => (res.statusCode && res.statusCode < 300 ? resolve(bytes) : reject(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function rate(concurrency: number, total: number, path: string): Promise<{ perSecond: number; bytes: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < total / concurrency; i++) bytes += await call("GET", path, agent);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { perSecond: total / seconds, bytes: bytes / seconds };
}

export async function benchHttp(): Promise<void> {
  await buildApps(["demo"]);
  const dir = mkdtempSync(join(tmpdir(), "vireo-http-bench-"));
  const guest = launch({ app: "demo", qemuArgs: [...demoMachine({ httpPort: PORT }, join(dir, "kv.img")).qemuArgs] });
  try {
    await guest.waitFor(READY, READY_TIMEOUT_MS);
    const setup = new Agent({ keepAlive: false });
    await call("PUT", "/kv/small", setup, Buffer.from("a small value"));
    await call("PUT", "/kv/large", setup, randomBytes(LARGE_BYTES));
    for (const concurrency of [1, 8]) {
      const small = await rate(concurrency, SMALL_REQUESTS, "/kv/small");
      console.log(`http: small response, concurrency ${concurrency}: ${small.perSecond.toFixed(0)} requests/s`);
    }
    const large = await rate(1, LARGE_REQUESTS, "/kv/large");
    console.log(`http: 1 MiB response: ${(large.bytes / 1e6).toFixed(2)} MB/s (${LARGE_REQUESTS} requests, keep-alive)`);
  } finally {
    await guest.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
