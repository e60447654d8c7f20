// virtio-console throughput against the serial UART, in one boot of the console-echo image: the
// host sends BYTES to a virtserialport (host-to-guest, timed by the guest from its first byte and
// by the host until the guest's `done`), then the guest sends BYTES back (guest-to-host, timed by
// the guest until the device took the last byte and by the host from first to last byte); the
// guest also times UART_BYTES written to the serial port. Then console.log of LOG_BYTES over the
// UART against the same mirrored to a virtconsole with the UART off (console.mirror=virtconsole
// console.serial=off), the mirrored bytes counted in the virtconsole's file on the host.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectChardev } from "../../test/qemu/lib/chardev";
import { buildApps } from "../lib/build-apps";
import { boot, launch } from "../lib/qemu";

const PORT = "org.vireo.bench";
const BYTES = 32 * 1024 * 1024;
const UART_BYTES = 256 * 1024;
const LOG_BYTES = 256 * 1024;
const LOG_LINE = /^l{63}$/gm;
const TIMEOUT_MS = 120_000;
const DONE = "done\n";
const FIGURE = /^console-echo: bench (\S+) (.*)$/gm;

function rate(bytes: number, ms: number): string {
  return `${bytes} bytes ${ms} ms ${(bytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s`;
}

/** console.log over the UART, then mirrored to a virtconsole with the UART off. */
async function benchConsoleLog(dir: string): Promise<void> {
  const file = join(dir, "virtconsole.log");
  const runs: [string, string, string[]][] = [
    ["serial", ` uart-bytes=${UART_BYTES}`, ["-device", "virtio-serial-pci"]],
    ["mirrored", " console.mirror=virtconsole console.serial=off", ["-device", "virtio-serial-pci", "-chardev", `file,id=con,path=${file}`, "-device", "virtconsole,chardev=con"]],
  ];
  for (const [label, append, qemuArgs] of runs) {
    const result = await boot({ app: "console-echo", append: `echo= wait-ms=10000 log-bytes=${LOG_BYTES}${append}`, timeoutMs: TIMEOUT_MS, qemuArgs });
    const figure = new RegExp(`^console-echo: bench console-log-${label} (.*)$`, "m").exec(result.output);
    if (figure === null) throw new Error(`console-log ${label}: no figure\n${result.output}`);
    const lines = (label === "serial" ? result.output : readFileSync(file, "utf8")).match(LOG_LINE)?.length ?? 0;
    console.log(`console: console.log ${label} (guest clock): ${figure[1]}; ${lines * 64} bytes arrived`);
    const uart = /^console-echo: bench uart (.*)$/m.exec(result.output);
    if (uart !== null) console.log(`console: uart, same boot (guest clock): ${uart[1]}`);
  }
}

export async function benchConsole(): Promise<void> {
  await buildApps(["console-echo"]);
  const dir = mkdtempSync(join(tmpdir(), "vireo-console-bench-"));
  try {
    await benchThroughput(dir);
    await benchConsoleLog(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchThroughput(dir: string): Promise<void> {
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
  }
}
