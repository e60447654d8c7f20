// The part of `bench -- http-tap` that runs inside the network namespace (see http-tap.ts): boots
// the demo on the tap device with the offloads and again without them (QEMU's host_tso4=off,
// guest_tso4=off; checksum offload stays), and measures each.
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch } from "../lib/qemu";
import { tapNetdev } from "../lib/tap-namespace";
import { demoMachine } from "../machines/demo";
import { httpRate } from "./http-load";
import { TAP_BENCH } from "./http-tap";
import { printTable } from "./table";

const READY = /demo ready/;
const READY_TIMEOUT_MS = 60_000;
const HTTP_PORT = 80;
const LARGE_BYTES = 1024 * 1024;
const REQUESTS = 8;
const BYTES_PER_MB = 1e6;
const KEEP_ALIVE = true;
const VARIANTS = [
  { name: "tap, TSO4 and large receives", deviceOptions: undefined },
  { name: "tap, checksum offload only", deviceOptions: "host_tso4=off,guest_tso4=off" },
] as const;

interface Figures {
  readonly downloadMBps: number;
  readonly uploadMBps: number;
  readonly features: string;
}

/** 201 for a new key, 204 when one is replaced. */
const OK_FIRST = 200;
const OK_LAST = 299;

/** One PUT on a connection of its own (a pooled one would outlive the guest it was made to). */
function put(key: string, value: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: TAP_BENCH.guestAddress, port: HTTP_PORT, method: "PUT", path: `/kv/${key}`, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      res.on("end", () => (status >= OK_FIRST && status <= OK_LAST ? resolve() : reject(new Error(`PUT /kv/${key}: ${status}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(value);
  });
}

/** The status page, on a connection of its own. */
function statusPage(): Promise<{ devices: { type: string; featureNames: string[] }[] }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: TAP_BENCH.guestAddress, port: HTTP_PORT, path: "/status.json", agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function measure(deviceOptions: string | undefined): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), "vireo-http-tap-bench-"));
  const machine = demoMachine({ httpPort: 0 }, join(dir, "kv.img"), { netdev: tapNetdev(TAP_BENCH.tap), netDeviceOptions: deviceOptions });
  const append = `ip=${TAP_BENCH.guestAddress}/${TAP_BENCH.prefix} gw=${TAP_BENCH.hostAddress} dns=${TAP_BENCH.hostAddress}`;
  const guest = launch({ app: "demo", append, qemuArgs: [...machine.qemuArgs] });
  try {
    await guest.waitFor(READY, READY_TIMEOUT_MS);
    const large = randomBytes(LARGE_BYTES);
    const started = performance.now();
    for (let i = 0; i < REQUESTS; i++) await put("large", large);
    const uploadMBps = (REQUESTS * LARGE_BYTES) / ((performance.now() - started) / 1000) / BYTES_PER_MB;
    const download = await httpRate(HTTP_PORT, "/kv/large", large, 1, REQUESTS, KEEP_ALIVE, TAP_BENCH.guestAddress);
    const status = await statusPage();
    const offloads = status.devices.find((device) => device.type === "net")?.featureNames.filter((name) => /csum|tso/.test(name)) ?? [];
    return { downloadMBps: download.bytesPerSecond / BYTES_PER_MB, uploadMBps, features: offloads.join(" ") };
  } finally {
    await guest.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: string[][] = [];
for (const variant of VARIANTS) {
  const figures = await measure(variant.deviceOptions);
  rows.push([variant.name, figures.downloadMBps.toFixed(2), figures.uploadMBps.toFixed(2), figures.features]);
}
console.log(`http-tap: 1 MiB bodies, ${REQUESTS} requests each way, keep-alive for downloads, against the host's Linux TCP stack`);
printTable(["network", "download MB/s", "upload MB/s", "offloads negotiated"], rows);
