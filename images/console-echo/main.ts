// The virtio-console test and benchmark image; ports are opened by name (runtime/ports).
// - `echo=<name>` (default org.vireo.echo; `echo=` for none): every byte read from the port is written back;
// - `hotplug=<name>`: waits for a port of that name to be plugged in, then greets the host on it;
// - `bench=<name>` with `bench-rx=<bytes>`: counts bytes from the host, then reports the time and
//   answers `done` on the port; with `bench-tx=<bytes>`: sends that many once the host connected;
// - `uart-bytes=<bytes>`: times writing that many bytes to the serial port;
// - `log-bytes=<bytes>`: times console.log lines of that many bytes (once the console mirror, if
//   asked for with `console.mirror=`, runs), reporting on the serial port.
// - `emerg=<text>`: writes the text (and a newline) through emerg_wr, which QEMU hands to port 0.
// `wait-ms=` bounds every wait for a port (default 60000). Lines start with `console-echo:`.
import { start } from "../../kernel/start";
import { startDevices } from "../../runtime/devices";
import { consoleMirror, openPort, type Port } from "../../runtime/ports/index";
import { benchConsoleLog, benchReceive, benchSend, benchUart } from "./bench";

const DEFAULT_ECHO = "org.vireo.echo";
const DEFAULT_WAIT_MS = 60_000;
const EXIT_NO_CONSOLE = 2;

async function echo(port: Port): Promise<void> {
  let bytes = 0;
  for await (const chunk of port) {
    bytes += chunk.length;
    await port.write(chunk);
  }
  console.log(`console-echo: ${port.name} ended after ${bytes} bytes`);
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, reject);
  });
}

start(async (system) => {
  const { commandLine, platform } = system;
  const devices = startDevices(system);
  const uartBytes = Number(commandLine.get("uart-bytes") ?? 0);
  if (uartBytes > 0) benchUart(platform, uartBytes);
  if (devices.consoles.length === 0) {
    console.log("console-echo: no virtio-console");
    return EXIT_NO_CONSOLE;
  }
  for (const device of devices.consoles) {
    console.log(`console-echo: interrupts=${device.interruptMode} ${device.name} multiport=${device.multiport} max-ports=${device.maxPorts}`);
  }
  const emergency = commandLine.get("emerg");
  if (emergency !== undefined) {
    const written = devices.consoles[0].emergencyWrite(new TextEncoder().encode(`${emergency}\n`));
    console.log(`console-echo: emergency write ${written ? "done" : "not offered"}`);
  }
  const waitMs = Number(commandLine.get("wait-ms") ?? DEFAULT_WAIT_MS);
  const logBytes = Number(commandLine.get("log-bytes") ?? 0);
  if (logBytes > 0) {
    const mirror = consoleMirror();
    if (mirror !== undefined) await withDeadline(mirror, waitMs, "console mirror");
    benchConsoleLog(platform, logBytes, mirror === undefined ? "serial" : "mirrored");
  }
  const jobs: Promise<void>[] = [];
  const echoName = commandLine.get("echo") ?? DEFAULT_ECHO;
  if (echoName !== "") {
    jobs.push(
      openPort(echoName, { timeoutMs: waitMs }).then((port) => {
        console.log(`console-echo: ${port.name} open host=${port.hostConnected}`);
        port.on("open", () => console.log(`console-echo: ${port.name} host connected`));
        port.on("close", () => console.log(`console-echo: ${port.name} host disconnected`));
        return echo(port);
      }),
    );
  }
  const hotplug = commandLine.get("hotplug");
  if (hotplug !== undefined) {
    jobs.push(
      openPort(hotplug, { timeoutMs: waitMs }).then(async (port) => {
        console.log(`console-echo: hotplug ${port.name} added`);
        port.on("open", () => void port.write(`hello from ${port.name}\n`));
        if (port.hostConnected) await port.write(`hello from ${port.name}\n`);
        await echo(port);
      }),
    );
  }
  const bench = commandLine.get("bench");
  if (bench !== undefined) {
    const receive = Number(commandLine.get("bench-rx") ?? 0);
    const send = Number(commandLine.get("bench-tx") ?? 0);
    jobs.push(
      openPort(bench, { timeoutMs: waitMs }).then(async (port) => {
        if (receive > 0) await benchReceive(port, receive, platform.monotonicNs);
        if (send > 0) await benchSend(port, send, waitMs, platform.monotonicNs);
      }),
    );
  }
  console.log(`console-echo: ready ports=${devices.consoles.flatMap((c) => c.ports.map((p) => p.name ?? `#${p.id}`)).join(",")}`);
  await Promise.all(jobs);
  return 0;
});
