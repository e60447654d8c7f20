// QEMU's microvm board: no PCI, every device on virtio-mmio, the PVH kernel image. Devices come
// from the virtio_mmio.device= words QEMU appends (ACPI off) or from the DSDT (ACPI on); both
// mmio versions (1 legacy by default, 2 with force-legacy=off); the legacy PIC and PIT off or on.
import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { boot, launch, type Guest } from "../../scripts/lib/qemu";
import { createDiskIfMissing, demoMachine } from "../../scripts/machines/demo";
import { boardMachine } from "../../scripts/machines/board";
import { MICROVM_MACHINE } from "../../scripts/machines/boards";
import { send } from "./lib/demo-guest";
import { freePort } from "./lib/ports";
import { runSelftest, SELFTEST_TIMEOUT_MS } from "./lib/selftest";

const dir = mkdtempSync(join(tmpdir(), "vireo-microvm-"));
const DISK_BYTES = 1024 * 1024;
const MODERN = ["-global", "virtio-mmio.force-legacy=off"];
const READY = /demo ready: listening on http:\/\/10\.0\.2\.15:80/;
const READY_TIMEOUT_MS = 60_000;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `options` goes on every device (",packed=on" offers the packed ring). */
function devices(disk: string, options = ""): string[] {
  createDiskIfMissing(disk, DISK_BYTES);
  return [
    "-device", `virtio-rng-device${options}`,
    "-drive", `file=${disk},format=raw,if=none,id=d0`,
    "-device", `virtio-blk-device,drive=d0${options}`,
    "-netdev", "user,id=n0",
    "-device", `virtio-net-device,netdev=n0,mac=52:54:00:12:34:56${options}`,
  ];
}

const CASES = [
  { name: "ACPI off, PIC and PIT off, mmio version 1", machine: "microvm,acpi=off,pic=off,pit=off", extra: [], source: "command-line" },
  // The packed ring needs VERSION_1, so mmio version 2.
  { name: "ACPI off, PIC and PIT off, mmio version 2, packed rings", machine: "microvm,acpi=off,pic=off,pit=off", extra: MODERN, source: "command-line", options: ",packed=on" },
  { name: "ACPI off, PIC and PIT on, mmio version 2", machine: "microvm,acpi=off", extra: MODERN, source: "command-line" },
  { name: "ACPI on, PIC and PIT off, mmio version 2", machine: "microvm,pic=off,pit=off", extra: MODERN, source: "acpi" },
  { name: "ACPI on, PIC and PIT on, mmio version 1", machine: "microvm", extra: [], source: "acpi" },
];

describe("microvm: the in-guest selftest", () => {
  for (const c of CASES) {
    it(`passes with rng, blk and net on virtio-mmio: ${c.name}`, async () => {
      const result = await runSelftest({
        entry: "pvh",
        append: `expect-machine=microvm expect-virtio=3 expect-transport=mmio expect-irq=line expect-blk-bytes=${DISK_BYTES} expect-mac=52:54:00:12:34:56`,
        qemuArgs: ["-M", c.machine, ...devices(join(dir, `${c.source}-${c.extra.length}${c.options ? "-packed" : ""}.img`), c.options), ...c.extra],
      });
      expect(result.failed, result.output).toBe(0);
      expect(result.status).toBe(0);
      const windows = result.output.match(/^mmio 0x[0-9a-f]+ size=512 gsi=\d+ level active-high source=[\w-]+$/gm) ?? [];
      expect(windows.map((line) => line.split("source=")[1]), result.output).toEqual([c.source, c.source, c.source]);
      expect(result.output.match(/^virtio mmio@0x[0-9a-f]+ type=\w+ transport=mmio /gm), result.output).toHaveLength(3);
      for (const type of ["rng", "blk", "net"]) expect(result.output).toMatch(new RegExp(`^virtio-irq mmio@0x[0-9a-f]+ type=${type} mode=line$`, "m"));
      const ring = c.options ? "packed" : "split";
      expect(result.output.match(new RegExp(`^virtio mmio@0x[0-9a-f]+ type=\\w+ transport=mmio .*ring=${ring}`, "gm")), result.output).toHaveLength(3);
    }, SELFTEST_TIMEOUT_MS);
  }

  it("reports and skips bad virtio_mmio.device= words, an empty transport and a region without the magic value", async () => {
    const result = await runSelftest({
      entry: "pvh",
      append: [
        "expect-machine=microvm",
        "virtio_mmio.device=junk",
        "virtio_mmio.device=512@0xfeb00e00:300",
        "virtio_mmio.device=512@0xfeb00000:5",
        "virtio_mmio.device=4K@0x9000:6",
      ].join(" "),
      qemuArgs: ["-M", "microvm,acpi=off,pic=off,pit=off", "-device", "virtio-rng-device"],
    });
    expect(result.failed, result.output).toBe(0);
    expect(result.output).toContain("virtio-mmio-skipped command-line junk: no size\n");
    expect(result.output).toContain("virtio-mmio-skipped command-line 512@0xfeb00e00:300: interrupt 300 is beyond GSI 255\n");
    expect(result.output).toMatch(/^virtio-error mmio@0xfeb00000 mmio-empty: /m);
    expect(result.output).toMatch(/^virtio-error mmio@0x9000 mmio-magic: magic 0x/m);
    // The word QEMU appends for the rng still works.
    expect(result.output).toMatch(/^virtio mmio@0xfeb00e00 type=rng transport=mmio /m);
    expect(result.output).toContain("virtio-ready 1\n");
  }, SELFTEST_TIMEOUT_MS);
});

describe("microvm: the demo", () => {
  function get(port: number, path: string, method = "GET", body?: Buffer): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  async function bootDemo(port: number, disk: string): Promise<Guest> {
    const board = boardMachine("microvm");
    const machine = demoMachine({ httpPort: port, board: "microvm" }, disk);
    const guest = launch({ app: "demo", entry: board.entry, qemuArgs: [...board.qemuArgs, ...machine.qemuArgs] });
    await guest.waitFor(READY, READY_TIMEOUT_MS);
    return guest;
  }

  it("serves HTTP through the host port forward and keeps its KV values across a reboot", async () => {
    const port = await freePort();
    const disk = join(dir, "demo-kv.img");
    let guest = await bootDemo(port, disk);
    try {
      const page = await get(port, "/");
      expect(page.status).toBe(200);
      for (const type of ["rng", "blk", "net"]) expect(page.body.toString()).toContain(`<td>${type}</td>`);
      const value = randomBytes(4096);
      expect([201, 204]).toContain((await get(port, "/kv/persisted", "PUT", value)).status);
      await guest.stop();
      guest = await bootDemo(port, disk);
      const back = await get(port, "/kv/persisted");
      expect(back.status).toBe(200);
      expect(Buffer.compare(back.body, value)).toBe(0);
    } finally {
      await guest.stop();
    }
  }, 2 * READY_TIMEOUT_MS + 30_000);
});

/** Guest seconds (the demo's uptime) per host second over a few seconds of host time. */
async function guestRate(port: number): Promise<number> {
  const HOST_WAIT_MS = 4000;
  const uptime = async (): Promise<number> =>
    (JSON.parse((await send({ host: "127.0.0.1", port }, "GET", "/status.json")).body.toString()) as { uptimeSeconds: number }).uptimeSeconds;
  const guestStart = await uptime();
  const hostStart = Date.now();
  await new Promise((resolve) => setTimeout(resolve, HOST_WAIT_MS));
  const guestEnd = await uptime();
  return (guestEnd - guestStart) / ((Date.now() - hostStart) / 1000);
}

/** TCG and HTTP round trips add a little either way. */
const MIN_RATE = 0.75;
const MAX_RATE = 1.25;

/** Boots the demo on `machineArgs` with `append`, waits until it serves, runs `check`, stops it. */
async function withDemo(machineArgs: string[], append: string, check: (guest: Guest, port: number) => Promise<void>): Promise<void> {
  const port = await freePort();
  const machine = demoMachine({ httpPort: port, board: "microvm" }, join(dir, "clock-kv.img"));
  const guest = launch({ app: "demo", entry: "pvh", append, qemuArgs: [...machineArgs, ...machine.qemuArgs] });
  try {
    await guest.waitFor(READY, READY_TIMEOUT_MS);
    await check(guest, port);
  } finally {
    await guest.stop();
  }
}

describe("microvm with the RTC and without the PIT: the clock", () => {
  // QEMU sets the periodic flag from its main loop: on a loaded host some come late or not at
  // all, which counting flags took for periods (the clock then ran up to 3 times slow).
  it("is calibrated against the RTC's periodic flag: guest seconds as long as the host's", async () => {
    await withDemo(["-M", MICROVM_MACHINE], "", async (guest, port) => {
      expect(guest.output).toMatch(/^clock source=rtc tsc-hz=\d+ apic-bus-hz=\d+ apic-bus-source=rtc wall=rtc$/m);
      const rate = await guestRate(port);
      expect(rate, `guest seconds per host second; guest console:\n${guest.output}`).toBeGreaterThan(MIN_RATE);
      expect(rate).toBeLessThan(MAX_RATE);
    });
  }, READY_TIMEOUT_MS + 30_000);
});

// Without PIT and RTC there is nothing to calibrate the clock against. QEMU 7.2 under TCG declares
// no TSC rate in CPUID either (highest basic leaf 0xd with -cpu max; its "TCGTCGTCGTCG" range ends
// at 0x40000001; tsc-frequency= and vmware-cpuid-freq= change nothing), so the rate comes from the
// command line here; the CPUID sources are covered by the unit tests (clock-declared.test.ts).
describe("microvm without PIT and RTC: the clock", () => {
  const NO_TIMERS = ["-M", `${MICROVM_MACHINE},rtc=off`];
  const PANIC_STATUS = 70;
  const NO_SOURCE_TIMEOUT_MS = 60_000;

  it("stops at boot naming what is missing when nothing declares the TSC rate", async () => {
    const result = await boot({ app: "faults", entry: "pvh", append: "fault=none", qemuArgs: NO_TIMERS, timeoutMs: NO_SOURCE_TIMEOUT_MS });
    expect(result.timedOut, result.output).toBe(false);
    expect(result.status, result.output).toBe(PANIC_STATUS);
    expect(result.output).toContain("KERNEL PANIC: no clock source: no PIT, no CMOS RTC, and no declared TSC rate (no tsc-khz= on the command line; ");
    expect(result.output).toContain('no hypervisor timing leaf: "TCGTCGTCGTCG" at 0x40000000 (leaves to 0x40000001)');
    expect(result.output).not.toContain("faults: command line");
  }, NO_SOURCE_TIMEOUT_MS + 10_000);

  // -icount shift=0: the guest's TSC counts virtual nanoseconds, exactly 1 GHz, and the virtual
  // clock follows the host's while the guest is idle (QEMU's default sleep=on).
  it("runs at a rate declared with tsc-khz=: the LAPIC timer measured against it, guest seconds as long as the host's", async () => {
    await withDemo([...NO_TIMERS, "-icount", "shift=0"], "tsc-khz=1000000", async (guest, port) => {
      const line = /^clock source=command-line tsc-hz=1000000000 apic-bus-hz=(\d+) apic-bus-source=measured wall=epoch$/m.exec(guest.output);
      expect(line, guest.output).not.toBeNull();
      // QEMU's APIC bus is 1 GHz; measured over 2 ms of virtual time it is within a few ppm.
      expect(Math.abs(Number(line?.[1]) / 1e9 - 1)).toBeLessThan(0.001);
      expect(guest.output).toContain("clock-warning no CMOS RTC: the wall clock (Date) counts from the Unix epoch\n");
      const rate = await guestRate(port);
      expect(rate, `guest seconds per host second; guest console:\n${guest.output}`).toBeGreaterThan(MIN_RATE);
      expect(rate).toBeLessThan(MAX_RATE);
    });
  }, READY_TIMEOUT_MS + 30_000);
});
