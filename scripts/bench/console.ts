// virtio-console throughput against the serial UART, in one boot of the console-echo image: the
// host sends BYTES to a virtserialport (host-to-guest, timed by the guest from its first byte and
// by the host until the guest's `done`), then the guest sends BYTES back (guest-to-host, timed by
// the guest until the device took the last byte and by the host from first to last byte); the
// guest also times UART_BYTES written to the serial port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectChardev } from "../../test/qemu/lib/chardev";
import { buildApps } from "../lib/build-apps";
import { launch } from "../lib/qemu";

const PORT = "org.vireo.bench";
const BYTES = 32 * 1024 * 1024;
const UART_BYTES = 256 * 1024;
const TIMEOUT_MS = 120_000;
const DONE = "done\n";
const FIGURE = /^console-echo: bench (\S+) (.*)$/gm;

function rate(bytes: number, ms: number): string {
  return `${bytes} bytes ${ms} ms ${(bytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s`;
}

export async function benchConsole(): Promise<void> {
  await buildApps(["console-echo"]);
  const dir = mkdtempSync(join(tmpdir(), "vireo-console-bench-"));
  const socket = join(dir, "bench.sock");
  const guest = launch({
    app: "console-echo",
    append: `bench=${PORT} bench-rx=${BYTES} bench-tx=${BYTES} uart-bytes=${UART_BYTES}`,
    timeoutMs: TIMEOUT_MS,
    qemuArgs: [
      "-device", "virtio-serial-pci,id=vser0",
      "-chardev", `socket,id=bench,path=${socket},server=on,wait=off`,
      "-device", `virtserialport,bus=vser0.0,chardev=bench,name=${PORT}`,
    ],
  });
  try {
    await guest.waitFor(/^console-echo: ready/m, TIMEOUT_MS);
    const host = await connectChardev(socket, TIMEOUT_MS);
    const payload = Buffer.alloc(BYTES, 0x5a);
    const sendStarted = Date.now();
    host.write(payload);
    await host.waitForText(DONE, TIMEOUT_MS);
    console.log(`console: host-to-guest (host clock, until the guest's answer): ${rate(BYTES, Date.now() - sendStarted)}`);
    const firstByte = await host.waitForBytes(DONE.length + 1, TIMEOUT_MS).then(() => Date.now());
    await host.waitForBytes(DONE.length + BYTES, TIMEOUT_MS);
    console.log(`console: guest-to-host (host clock, first to last byte): ${rate(BYTES, Date.now() - firstByte)}`);
    await guest.waitFor(/^console-echo: bench guest-to-host /m, TIMEOUT_MS);
    for (const [, what, figure] of guest.output.matchAll(FIGURE)) console.log(`console: ${what} (guest clock): ${figure}`);
    host.close();
  } finally {
    await guest.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
