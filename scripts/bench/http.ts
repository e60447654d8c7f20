// HTTP figures from the host through QEMU's port forward: requests/s for a small response at
// concurrency 1 and 8, and MB/s for a 1 MiB response, against the demo image.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { launch } from "../lib/qemu";
import { demoMachine } from "../machines/demo";
import { httpRate } from "./http-load";

const PORT = 18480;
const READY = /demo ready/;
const READY_TIMEOUT_MS = 60_000;
const SMALL_REQUESTS = 600;
const LARGE_BYTES = 1024 * 1024;
const LARGE_REQUESTS = 8;
const KEEP_ALIVE = true;

/** Stores `value` under `key` in the demo's key-value store. */
async function put(key: string, value: Uint8Array): Promise<void> {
  const reply = await fetch(`http://127.0.0.1:${PORT}/kv/${key}`, { method: "PUT", body: value });
  if (!reply.ok) throw new Error(`PUT /kv/${key}: ${reply.status}`);
}

export async function benchHttp(): Promise<void> {
  await buildApps(["demo"]);
  const dir = mkdtempSync(join(tmpdir(), "vireo-http-bench-"));
  const guest = launch({ app: "demo", qemuArgs: [...demoMachine({ httpPort: PORT }, join(dir, "kv.img")).qemuArgs] });
  try {
    await guest.waitFor(READY, READY_TIMEOUT_MS);
    const small = Buffer.from("a small value");
    const large = randomBytes(LARGE_BYTES);
    await put("small", small);
    await put("large", large);
    for (const concurrency of [1, 8]) {
      const rate = await httpRate(PORT, "/kv/small", small, concurrency, SMALL_REQUESTS, KEEP_ALIVE);
      console.log(`http: small response, concurrency ${concurrency}: ${rate.requestsPerSecond.toFixed(0)} requests/s`);
    }
    const rate = await httpRate(PORT, "/kv/large", large, 1, LARGE_REQUESTS, KEEP_ALIVE);
    console.log(`http: 1 MiB response: ${(rate.bytesPerSecond / 1e6).toFixed(2)} MB/s (${LARGE_REQUESTS} requests, keep-alive)`);
  } finally {
    await guest.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
