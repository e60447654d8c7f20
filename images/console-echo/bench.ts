// Console throughput as the guest sees it: bytes from the host, bytes to the host, the serial UART
// for comparison, and console.log (over the UART, or mirrored to a virtconsole). Each prints `console-echo: bench <what> <bytes> bytes <ms> ms <MB/s> MB/s`.
import type { Platform } from "../../kernel/platform";
import type { Port } from "../../runtime/ports/index";

const NS_PER_MS = 1e6;
const CHUNK_BYTES = 64 * 1024;
const UART_LINE_BYTES = 64;

function figure(what: string, bytes: number, ns: number): string {
  const ms = ns / NS_PER_MS;
  return `console-echo: bench ${what} ${bytes} bytes ${ms.toFixed(1)} ms ${(bytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s`;
}

function report(what: string, bytes: number, ns: number): void {
  console.log(figure(what, bytes, ns));
}

/** Counts `total` bytes from the host, timed from the first; answers `done` so the host can time it too. */
export async function benchReceive(port: Port, total: number, now: () => number): Promise<void> {
  let received = 0;
  let first = 0;
  for await (const chunk of port) {
    if (received === 0) first = now();
    received += chunk.length;
    if (received >= total) break;
  }
  report("host-to-guest", received, now() - first);
  await port.write("done\n");
}

/** Sends `total` bytes once the host is connected (waiting at most `waitMs` for it). */
export async function benchSend(port: Port, total: number, waitMs: number, now: () => number): Promise<void> {
  if (!port.hostConnected) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no host on ${port.name} within ${waitMs} ms`)), waitMs);
      port.on("open", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  const chunk = new Uint8Array(CHUNK_BYTES);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
  const started = now();
  for (let sent = 0; sent < total; sent += chunk.length) await port.write(chunk.subarray(0, Math.min(chunk.length, total - sent)));
  report("guest-to-host", total, now() - started);
}

/** Writes `total` bytes to the serial port in lines, timed. */
export function benchUart(platform: Platform, total: number): void {
  const line = `${"u".repeat(UART_LINE_BYTES - 1)}\n`;
  const started = platform.monotonicNs();
  for (let sent = 0; sent < total; sent += line.length) platform.serialWrite(line);
  report("uart", total, platform.monotonicNs() - started);
}

/**
 * Prints `total` bytes of console.log lines, timed, and reports on the serial port itself (the
 * console may be mirrored with the UART off): what an app logging heavily pays per byte.
 */
export function benchConsoleLog(platform: Platform, total: number, label: string): void {
  const line = "l".repeat(UART_LINE_BYTES - 1);
  const started = platform.monotonicNs();
  for (let sent = 0; sent < total; sent += UART_LINE_BYTES) console.log(line);
  platform.serialWrite(`${figure(`console-log-${label}`, total, platform.monotonicNs() - started)}\n`);
}
