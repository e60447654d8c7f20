// Interrupts of the virtio devices on the real machine: prints `virtio-irq <name> type=<t> mode=<m>`
// for each usable device, and checks that the rng's pool refills from its interrupts alone.
//   expect-irq=msix|msix-shared|intx|line|polling  the mode the rng must get
import type { CommandLine } from "../../../kernel/command-line";
import { DeviceType, deviceTypeName } from "../../../drivers/virtio/device-types";
import type { Devices } from "../../../runtime/devices";
import { expectEqual, expectTrue, type TestRegistry } from "../harness";

const REFILL_WAIT_MS = 2000;
const CHECK_INTERVAL_MS = 5;

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) {
    await new Promise<void>((resolve) => setTimeout(resolve, CHECK_INTERVAL_MS));
  }
}

export function virtioInterruptSuite(t: TestRegistry, devices: Devices, commandLine: CommandLine, write: (text: string) => void): void {
  for (const probed of devices.virtio) {
    const device = probed.device;
    if (probed.state !== "ready" || device === undefined) continue;
    write(`virtio-irq ${probed.name} type=${deviceTypeName(device.transport.deviceType)} mode=${device.interruptMode}\n`);
  }

  const rng = devices.rng;
  const rngDevice = devices.virtio.find((d) => d.state === "ready" && d.device?.transport.deviceType === DeviceType.Rng)?.device;
  if (rng === undefined || rngDevice === undefined) return;
  const label = `virtio ${rngDevice.name}`;
  const expected = commandLine.get("expect-irq");
  if (expected !== undefined) t.test(`${label}: rng interrupt mode ${expected}`, () => expectEqual(rng.interruptMode, expected));
  if (rng.interruptMode === "polling") return;

  t.test(`${label}: entropy arrives by interrupt`, async () => {
    const stats = rngDevice.interruptStats;
    expectTrue(stats !== undefined, "interrupts are bound");
    // Emptying the pool re-posts every buffer; only the interrupt handler refills it from here on.
    crypto!.getRandomValues(new Uint8Array(rng.available));
    const before = stats!.interrupts;
    const low = rng.available;
    await waitFor(() => rng.available > low && stats!.interrupts > before, REFILL_WAIT_MS);
    expectTrue(stats!.interrupts > before, `${stats!.interrupts - before} interrupts while waiting`);
    expectTrue(rng.available > low, `pool grew from ${low} to ${rng.available} bytes`);
  });
}
