// The HTTP workloads of `bench -- compare`, the same for both guests and both networks: requests/s
// for the small file at concurrency 1 and 8, MB/s for the 1 MiB file, a new connection each time
// (busybox httpd closes every one).
import { httpRate, waitForHttp } from "../http-load";
import { LARGE, SMALL } from "./machine";
import type { Side } from "./rows";

const SMALL_REQUESTS = 200;
/** Small requests (concurrency 1) between two readings of Vireo's busy time. */
const BUSY_REQUESTS = 100;
const NS_PER_US = 1e3;
const LARGE_REQUESTS = 8;
const READY_TIMEOUT_MS = 120_000;
const BYTES_PER_MB = 1e6;

/** Measures the guest serving HTTP at `host`:`port`, after waiting until it answers. */
export async function measureHttp(host: string, port: number): Promise<Side> {
  const side: Side = {};
  await waitForHttp(port, "/small", SMALL, READY_TIMEOUT_MS, host);
  for (const concurrency of [1, 8]) {
    side[`http-small-c${concurrency}`] = (await httpRate(port, "/small", SMALL, concurrency, SMALL_REQUESTS, false, host)).requestsPerSecond;
  }
  side["http-1mib"] = (await httpRate(port, "/large", LARGE, 1, LARGE_REQUESTS, false, host)).bytesPerSecond / BYTES_PER_MB;
  return side;
}

/**
 * Vireo's CPU time per small request at concurrency 1 (µs): its httpbench image answers `/busy`
 * with the nanoseconds its CPU has worked since boot, read before and after the requests.
 */
export function vireoCpuPerSmallRequest(host: string, port: number): Promise<number> {
  return vireoCpuPerRequest(host, port, "/small", SMALL, 1, BUSY_REQUESTS);
}

/** Vireo's CPU time (µs) per request for `path` at `concurrency`, a new connection each. */
export async function vireoCpuPerRequest(host: string, port: number, path: string, expected: Uint8Array, concurrency: number, requests: number): Promise<number> {
  const busyNs = async (): Promise<number> => {
    const response = await fetch(`http://${host}:${port}/busy`, { headers: { connection: "close" } });
    const value = Number(await response.text());
    if (!(response.ok && value > 0)) throw new Error(`/busy answered ${response.status} "${value}"`);
    return value;
  };
  const before = await busyNs();
  await httpRate(port, path, expected, concurrency, requests, false, host);
  return ((await busyNs()) - before) / requests / NS_PER_US;
}
