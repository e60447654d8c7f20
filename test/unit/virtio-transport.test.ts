import { describe, expect, it } from "vitest";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { PortPciConfig } from "../../kernel/pci/config";
import { probeVirtioMmio, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { virtioRngDriver, VirtioRng } from "../../drivers/virtio/rng/rng";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { RngModel } from "../sim/virtio/rng-model";
import { addVirtioPci } from "../sim/virtio/pci-device";
import type { VirtioPciLayout } from "../sim/virtio/pci-device";
import { addVirtioMmio } from "../sim/virtio/mmio-device";

function rngRegistry(): VirtioDriverRegistry {
  const registry = new VirtioDriverRegistry();
  registry.register(virtioRngDriver);
  return registry;
}

function probeOne(layout: VirtioPciLayout, notify: "mem" | "io" = "mem", msixVectors = 4) {
  const machine = new SimMachine();
  const model = new RngModel(machine.memory, machine.violations);
  const sim = addVirtioPci(machine, model, { device: 3, layout, notify, msixVectors });
  const config = new PortPciConfig(machine.ports);
  const result = probeVirtioPci(machine, config, enumeratePci(config), rngRegistry());
  return { machine, model, sim, result };
}

describe("virtio PCI transports", () => {
  it.each([
    ["modern", "mem", "modern"],
    ["modern", "io", "modern"],
    ["transitional", "mem", "modern"],
    ["legacy", "mem", "legacy"],
  ] as const)("%s device (notify %s) initialises over the %s transport and delivers entropy", (layout, notify, expected) => {
    const { machine, model, result } = probeOne(layout, notify);
    const [probed] = result.devices;
    expect(probed.error).toBeUndefined();
    expect(probed.state).toBe("ready");
    expect(probed.device?.transport.kind).toBe(expected);
    expect(result.lines[0]).toMatch(new RegExp(`^virtio 00:03\\.0 type=rng transport=${expected} notify=${expected === "legacy" ? "io" : notify} features=[0-9a-f]+ queues=1 ring=split$`));
    expect(result.lines[1]).toBe("virtio-ready 1");
    const rng = probed.instance as VirtioRng;
    const out = rng.getRandomValues(new Uint8Array(100));
    expect(out.some((b) => b !== 0)).toBe(true);
    expect(model.bytesProduced).toBeGreaterThanOrEqual(100);
    assertNoViolations(machine.violations);
  });

  it.each([1, 2] as const)("virtio-mmio version %i initialises and delivers entropy", (version) => {
    const machine = new SimMachine();
    const model = new RngModel(machine.memory, machine.violations);
    addVirtioMmio(machine, model, 0xfeb0_0000, version);
    const result = probeVirtioMmio(machine, [{ base: 0xfeb0_0000, size: 0x200 }], rngRegistry());
    expect(result.devices[0].error).toBeUndefined();
    expect(result.lines[0]).toMatch(/^virtio mmio@0xfeb00000 type=rng transport=mmio notify=mem features=[0-9a-f]+ queues=1 ring=split$/);
    const rng = result.devices[0].instance as VirtioRng;
    expect(rng.getRandomValues(new Uint32Array(16)).some((v) => v !== 0)).toBe(true);
    assertNoViolations(machine.violations);
  });
});
