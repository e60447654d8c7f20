// The device layout Firecracker gives an x86-64 guest, on the simulated machine: virtio-mmio
// version 2 windows of 4 KiB from 0xd0000000, named on the command line from IRQ 5 up. The
// command line is discovered as on the real image, and every device is probed on it.
import type { Platform } from "../../kernel/platform";
import { describe, expect, it } from "vitest";
import { createVirtioBlkDriver } from "../../drivers/virtio/blk/driver";
import { createVirtioNetDriver } from "../../drivers/virtio/net/driver";
import { probeVirtioMmio } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { virtioRngDriver } from "../../drivers/virtio/rng/rng";
import { CommandLine } from "../../kernel/command-line";
import { discoverVirtioMmio, formatMmioProblems, formatMmioWindow } from "../../kernel/mmio/discover";
import { SimMachine } from "../sim/machine";
import type { AccessWidth, RegisterBlock } from "../sim/registers";
import { assertNoViolations } from "../sim/violations";
import { BlkModel } from "../sim/virtio/blk-model";
import { addVirtioMmio } from "../sim/virtio/mmio-device";
import { NetModel } from "../sim/virtio/net-model";
import { RngModel } from "../sim/virtio/rng-model";

const FIRECRACKER_MMIO_BASE = 0xd000_0000;
const FIRECRACKER_WINDOW = 0x1000;
const FIRECRACKER_FIRST_IRQ = 5;
const MAGIC_VIRT = 0x7472_6976;

function firecrackerWord(index: number): string {
  return `virtio_mmio.device=4K@0x${(FIRECRACKER_MMIO_BASE + index * FIRECRACKER_WINDOW).toString(16)}:${FIRECRACKER_FIRST_IRQ + index}`;
}

function registry(): VirtioDriverRegistry {
  const drivers = new VirtioDriverRegistry();
  drivers.register(virtioRngDriver);
  drivers.register(createVirtioBlkDriver({ interrupts: false }));
  drivers.register(createVirtioNetDriver({ interrupts: false }));
  return drivers;
}

/** A window that answers with the magic value and a version the specification does not define. */
class VersionThree implements RegisterBlock {
  read(offset: number, _width: AccessWidth): number {
    return offset === 0 ? MAGIC_VIRT : offset === 4 ? 3 : 0;
  }
  write(): void {}
}

describe("Firecracker's virtio-mmio layout", () => {
  it("finds rng, blk and net from the command line and takes each to DRIVER_OK over mmio version 2", () => {
    const commandLine = `console=ttyS0 reboot=k panic=1 ${[0, 1, 2].map(firecrackerWord).join(" ")}`;
    const machine = new SimMachine(commandLine);
    const base = (index: number) => FIRECRACKER_MMIO_BASE + index * FIRECRACKER_WINDOW;
    addVirtioMmio(machine, new RngModel(machine.memory, machine.violations), base(0), 2);
    addVirtioMmio(machine, new BlkModel(machine.memory, machine.violations, { sectors: 2048 }), base(1), 2);
    addVirtioMmio(machine, new NetModel(machine.memory, machine.violations), base(2), 2);

    const found = discoverVirtioMmio(machine, new CommandLine(machine.commandLine));
    expect(found.problems).toEqual([]);
    expect(found.windows.map(formatMmioWindow)).toEqual([
      "mmio 0xd0000000 size=4096 gsi=5 level active-high source=command-line",
      "mmio 0xd0001000 size=4096 gsi=6 level active-high source=command-line",
      "mmio 0xd0002000 size=4096 gsi=7 level active-high source=command-line",
    ]);
    const mappings: string[] = [];
    const platform: Platform = machine;
    const mapPhysical = platform.mapPhysical.bind(machine);
    platform.mapPhysical = (address, length, device) => {
      mappings.push(`0x${address.toString(16)}+${length}${device ? " device" : ""}`);
      mapPhysical(address, length, device);
    };
    const probe = probeVirtioMmio(machine, found.windows, registry());
    expect(probe.devices.map((d) => [d.name, d.state])).toEqual([
      ["mmio@0xd0000000", "ready"],
      ["mmio@0xd0001000", "ready"],
      ["mmio@0xd0002000", "ready"],
    ]);
    // Register windows are device memory (uncached on the real machine).
    expect(mappings).toEqual(["0xd0000000+4096 device", "0xd0001000+4096 device", "0xd0002000+4096 device"]);
    expect(probe.lines.filter((line) => / transport=mmio /.test(line))).toHaveLength(3);
    assertNoViolations(machine.violations);
  });

  it("reports a region with another version and a malformed word, and still brings up the rest", () => {
    const machine = new SimMachine(`${firecrackerWord(0)} virtio_mmio.device=4K@0xd0001000 ${firecrackerWord(2)}`);
    addVirtioMmio(machine, new RngModel(machine.memory, machine.violations), FIRECRACKER_MMIO_BASE, 2);
    machine.addMmioWindow(FIRECRACKER_MMIO_BASE + 2 * FIRECRACKER_WINDOW, 0x200, new VersionThree());
    const found = discoverVirtioMmio(machine, new CommandLine(machine.commandLine));
    expect(formatMmioProblems(found.problems)).toEqual(["virtio-mmio-skipped command-line 4K@0xd0001000: no :<irq> after the base address"]);
    const probe = probeVirtioMmio(machine, found.windows, registry());
    expect(probe.lines).toEqual([
      expect.stringMatching(/^virtio mmio@0xd0000000 type=rng transport=mmio /),
      "virtio-error mmio@0xd0002000 mmio-version: unsupported version 3",
      "virtio-ready 1",
    ]);
  });
});
