// Soak: the demo under mixed HTTP and key-value load for a while, its memory sampled from
// /status.json (the engine's heap and the kernel's free pages) to see that it stays flat.
// Usage: tsx scripts/soak.ts [--minutes N] [--sample-seconds S] [--clients C]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/qemu/lib/ports";
import { buildApps } from "./lib/build-apps";
import { launch } from "./lib/qemu";
import { demoMachine } from "./machines/demo";

const READY = /demo ready: listening on http:\/\/10\.0\.2\.15:80/;
const READY_TIMEOUT_MS = 60_000;
const KEYS = 200;
const REQUEST_TIMEOUT_MS = 30_000;
/** Growth of the later samples over the early ones that still counts as flat. */
const FLAT_TOLERANCE = 0.1;

interface Options {
  readonly minutes: number;
  readonly sampleSeconds: number;
  readonly clients: number;
}

interface Sample {
  readonly seconds: number;
  readonly heapBytes: number;
  readonly usedPages: number;
  readonly requests: number;
}

function parseOptions(argv: readonly string[]): Options {
  const values: Record<string, number> = { minutes: 60, "sample-seconds": 0, clients: 4 };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    const value = Number(argv[i + 1]);
    if (!(name in values) || !(value >= 0)) throw new Error(`usage: npm run soak -- [--minutes N] [--sample-seconds S] [--clients C] (bad ${argv[i]})`);
    values[name] = value;
  }
  const minutes = values.minutes;
  return { minutes, sampleSeconds: values["sample-seconds"] || Math.max(5, (minutes * 60) / 30), clients: Math.max(1, Math.floor(values.clients)) };
}

function send(port: number, agent: Agent | false, method: string, path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

const options = parseOptions(process.argv.slice(2));
await buildApps(["demo"]);
const dir = mkdtempSync(join(tmpdir(), "vireo-soak-"));
const port = await freePort();
const guest = launch({ app: "demo", qemuArgs: [...demoMachine({ httpPort: port }, join(dir, "kv.img")).qemuArgs] });
const counts = { requests: 0, failures: 0, byStatus: new Map<number, number>() };
const samples: Sample[] = [];
try {
  await guest.waitFor(READY, READY_TIMEOUT_MS);
  const started = Date.now();
  const deadline = started + options.minutes * 60_000;
  console.log(`soak: demo on 127.0.0.1:${port}, ${options.clients} clients for ${options.minutes} min, a sample every ${options.sampleSeconds} s`);
  const client = async (keepAlive: boolean): Promise<void> => {
    const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
    while (Date.now() < deadline) {
      const key = `/kv/k${Math.floor(Math.random() * KEYS)}`;
      const roll = Math.random();
      try {
        const size = Math.random() < 0.05 ? 256 * 1024 : Math.floor(Math.random() * 16 * 1024);
        const reply =
          roll < 0.4 ? await send(port, agent, "PUT", key, randomBytes(size)) : roll < 0.85 ? await send(port, agent, "GET", key) : roll < 0.95 ? await send(port, agent, "DELETE", key) : await send(port, agent, "GET", "/");
        counts.requests++;
        counts.byStatus.set(reply.status, (counts.byStatus.get(reply.status) ?? 0) + 1);
      } catch {
        counts.failures++;
      }
    }
    if (agent) agent.destroy();
  };
  const sampler = async (): Promise<void> => {
    while (Date.now() < deadline) {
      try {
        const status = JSON.parse((await send(port, false, "GET", "/status.json")).body.toString()) as { memory: { heapBytes: number; freePages: number; totalPages: number } };
        const sample = { seconds: (Date.now() - started) / 1000, heapBytes: status.memory.heapBytes, usedPages: status.memory.totalPages - status.memory.freePages, requests: counts.requests };
        samples.push(sample);
        console.log(`soak: ${sample.seconds.toFixed(0).padStart(6)} s  heap ${(sample.heapBytes / 1024).toFixed(0).padStart(7)} KiB  pages used ${String(sample.usedPages).padStart(6)}  requests ${sample.requests}`);
      } catch (error) {
        console.log(`soak: sample failed: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, options.sampleSeconds * 1000));
    }
  };
  await Promise.all([sampler(), ...Array.from({ length: options.clients }, (_, i) => client(i % 2 === 0))]);
} finally {
  await guest.stop();
  rmSync(dir, { recursive: true, force: true });
}
const statuses = [...counts.byStatus].sort(([a], [b]) => a - b).map(([status, n]) => `${status}:${n}`).join(" ");
console.log(`soak: ${counts.requests} requests (${statuses}), ${counts.failures} without an answer`);
// Compare the last third of the samples with the second third (the first third is warm-up). The
// heap saws up and down with garbage collection, so each third is judged by its lowest sample:
// what survived collection.
const third = Math.floor(samples.length / 3);
if (third >= 1) {
  const middle = samples.slice(third, 2 * third);
  const late = samples.slice(2 * third);
  const growth = (pick: (s: Sample) => number): number => Math.min(...late.map(pick)) / Math.max(1, Math.min(...middle.map(pick))) - 1;
  const heap = growth((s) => s.heapBytes);
  const pages = growth((s) => s.usedPages);
  const flat = heap <= FLAT_TOLERANCE && pages <= FLAT_TOLERANCE;
  console.log(`soak: lowest late sample over lowest middle sample: heap ${(heap * 100).toFixed(1)}%, pages ${(pages * 100).toFixed(1)}% -> ${flat ? "flat" : "GROWING"}`);
  process.exitCode = flat && counts.failures === 0 ? 0 : 1;
} else {
  console.log("soak: too few samples to judge (run longer or sample more often)");
}
