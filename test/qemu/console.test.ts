// virtio-console on QEMU: a host program talks to the console-echo guest over a virtserialport
// backed by a chardev socket (bytes checked both ways, 1 MiB echoed intact, connect and disconnect
// seen by the guest as open and close), a port hot-plugged and unplugged with QMP device_add /
// device_del, the kernel console mirrored to a virtconsole, and a line written through emerg_wr;
// then a single-port device (no MULTIPORT) carrying the mirrored console.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot, launch } from "../../scripts/lib/qemu";
import { connectChardev } from "./lib/chardev";
import { qmp } from "./lib/qmp";

const ECHO = "org.vireo.echo";
const HOTPLUG = "org.vireo.hotplug";
const EMERGENCY = "emergency-line";
const MIB = 1024 * 1024;
const WAIT_MS = 60_000;
const TEST_TIMEOUT_MS = 150_000;
/** console.log lines of 64 bytes the single-port guest mirrors. */
const SINGLE_PORT_LOG_BYTES = 64 * 1024;

let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vireo-console-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Deterministic bytes, so an echo that reorders, drops or repeats anything is caught. */
function pattern(length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** MSI-X (QEMU gives virtio-serial-pci fewer vectors than queues: one shared by all) and INTx. */
const MODES = [
  { mode: "msix-shared", device: "" },
  { mode: "intx", device: ",vectors=0" },
] as const;

describe("virtio-console on QEMU", () => {
  for (const { mode, device } of MODES) {
    it(`echoes bytes and 1 MiB intact over a virtserialport, hot-plugs a port, mirrors the console (${mode})`, async () => {
      const echoSocket = join(dir, `${mode}-echo.sock`);
      const hotSocket = join(dir, `${mode}-hot.sock`);
      const qmpSocket = join(dir, `${mode}-qmp.sock`);
      const consoleFile = join(dir, `${mode}-console.log`);
      const guest = launch({
        app: "console-echo",
        append: `echo=${ECHO} hotplug=${HOTPLUG} console.mirror=virtconsole emerg=${EMERGENCY} wait-ms=${WAIT_MS}`,
        timeoutMs: TEST_TIMEOUT_MS,
        qemuArgs: [
          "-device", `virtio-serial-pci,id=vser0${device}`,
          "-chardev", `file,id=con,path=${consoleFile}`,
          "-device", "virtconsole,bus=vser0.0,chardev=con",
          "-chardev", `socket,id=echo,path=${echoSocket},server=on,wait=off`,
          "-device", `virtserialport,bus=vser0.0,chardev=echo,name=${ECHO}`,
          "-qmp", `unix:${qmpSocket},server=on,wait=off`,
        ],
      });
      try {
        await guest.waitFor(new RegExp(`^console-echo: ${ECHO} open host=false$`, "m"), WAIT_MS);
        expect(guest.output).toMatch(new RegExp(`^console-echo: interrupts=${mode} `, "m"));

        // Host connect is seen as open; bytes both ways.
        const host = await connectChardev(echoSocket, WAIT_MS);
        await guest.waitFor(new RegExp(`^console-echo: ${ECHO} host connected$`, "m"), WAIT_MS);
        host.write("hello guest\n");
        expect((await host.waitForText("hello guest\n", WAIT_MS)).toString()).toBe("hello guest\n");

        // 1 MiB through the guest and back.
        const big = pattern(MIB);
        const before = host.received.length;
        host.write(big);
        const echoed = await host.waitForBytes(before + MIB, WAIT_MS);
        expect(echoed.length).toBe(before + MIB);
        expect(echoed.subarray(before).equals(big)).toBe(true);

        // A port plugged in while the guest runs.
        await qmp(qmpSocket, [
          { execute: "chardev-add", arguments: { id: "hot", backend: { type: "socket", data: { addr: { type: "unix", data: { path: hotSocket } }, server: true, wait: false } } } },
          { execute: "device_add", arguments: { driver: "virtserialport", bus: "vser0.0", chardev: "hot", name: HOTPLUG, id: "hotport" } },
        ]);
        await guest.waitFor(new RegExp(`^console-echo: hotplug ${HOTPLUG} added$`, "m"), WAIT_MS);
        const hot = await connectChardev(hotSocket, WAIT_MS);
        await hot.waitForText(`hello from ${HOTPLUG}\n`, WAIT_MS);
        hot.write("hot bytes");
        await hot.waitForText(`hello from ${HOTPLUG}\nhot bytes`, WAIT_MS);

        // Unplugged: the guest's reader ends.
        await qmp(qmpSocket, [{ execute: "device_del", arguments: { id: "hotport" } }]);
        await guest.waitFor(new RegExp(`^console-echo: ${HOTPLUG} ended after 9 bytes$`, "m"), WAIT_MS);
        hot.close();

        // Host disconnect is seen as close.
        host.close();
        await guest.waitFor(new RegExp(`^console-echo: ${ECHO} host disconnected$`, "m"), WAIT_MS);

        // The kernel console reached the virtconsole too, and so did the emergency write (QEMU gives it to port 0).
        expect(guest.output).toMatch(/^console-echo: emergency write done$/m);
        const mirrored = readFileSync(consoleFile, "utf8");
        expect(mirrored).toMatch(new RegExp(`^console-echo: hotplug ${HOTPLUG} added$`, "m"));
        expect(mirrored).toMatch(new RegExp(`^${EMERGENCY}$`, "m"));
      } finally {
        await guest.stop();
      }
    }, TEST_TIMEOUT_MS);
  }

  it("drives a single-port device (max_ports=1, no MULTIPORT): the console mirrored to port 0", async () => {
    const consoleFile = join(dir, "single-console.log");
    const result = await boot({
      app: "console-echo",
      append: `echo= console.mirror=virtconsole log-bytes=${SINGLE_PORT_LOG_BYTES} wait-ms=${WAIT_MS}`,
      timeoutMs: TEST_TIMEOUT_MS,
      qemuArgs: [
        "-device", "virtio-serial-pci,max_ports=1",
        "-chardev", `file,id=con,path=${consoleFile}`,
        "-device", "virtconsole,chardev=con",
      ],
    });
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/^console-echo: interrupts=\S+ \S+ multiport=false max-ports=1$/m);
    const mirrored = readFileSync(consoleFile, "utf8");
    expect(mirrored.match(/^l{63}$/gm)?.length).toBe(SINGLE_PORT_LOG_BYTES / 64);
  }, TEST_TIMEOUT_MS);
});
