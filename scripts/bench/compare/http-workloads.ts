// The HTTP workloads of `bench -- compare`, the same for both guests and both networks: requests/s
// for the small file at concurrency 1 and 8, MB/s for the 1 MiB file, a new connection each time
// (busybox httpd closes every one).
import { httpRate, waitForHttp } from "../http-load";
import { LARGE, SMALL } from "./machine";
import type { Side } from "./rows";

const SMALL_REQUESTS = 200;
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
