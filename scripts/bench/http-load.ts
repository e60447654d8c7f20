// HTTP load from the host, through QEMU's port forward or to the guest's own address (tap):
// `concurrency` requests at a time, every body checked against what the guest should send; a new
// connection per request unless asked to keep connections alive (busybox httpd closes every one,
// so the compare bench measures both guests without).
import { Agent, request } from "node:http";

const LOOPBACK = "127.0.0.1";

export interface HttpRate {
  readonly requestsPerSecond: number;
  readonly bytesPerSecond: number;
}

function get(host: string, port: number, path: string, agent: Agent, keepAlive: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent, headers: keepAlive ? {} : { connection: "close" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${path}: status ${res.statusCode}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** `host` is the address the guest's HTTP port is reached at: QEMU's port forward on the loopback by default. */
export async function httpRate(port: number, path: string, expected: Uint8Array, concurrency: number, total: number, keepAlive = false, host = LOOPBACK): Promise<HttpRate> {
  const agent = new Agent({ keepAlive, maxSockets: concurrency });
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < total / concurrency; i++) {
        const body = await get(host, port, path, agent, keepAlive);
        if (!body.equals(expected)) throw new Error(`GET ${path}: ${body.length} bytes that differ from the ${expected.length} expected`);
        bytes += body.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requestsPerSecond: total / seconds, bytesPerSecond: bytes / seconds };
}

/** Retries a first request until the guest answers (a port forward accepts before the guest listens). */
export async function waitForHttp(port: number, path: string, expected: Uint8Array, timeoutMs: number, host = LOOPBACK): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await httpRate(port, path, expected, 1, 1, false, host);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
