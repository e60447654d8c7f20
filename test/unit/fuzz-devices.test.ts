// A short seeded slice of the device fuzzer (`npm run fuzz -- --devices N` runs a long one), and
// regression tests for what it found.
import { describe, expect, it } from "vitest";
import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { createVirtioBlkDriver } from "../../drivers/virtio/blk/driver";
import { VirtioConfigError, VirtioFeatureError, VirtioQueueError, VirtioRingBrokenError } from "../../drivers/virtio/errors";
import { createVirtioNetDriver } from "../../drivers/virtio/net/driver";
import { probeVirtioMmio, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { virtioRngDriver } from "../../drivers/virtio/rng/rng";
import { createEventLoop } from "../../kernel/event-loop";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { BlockDevice } from "../../runtime/block/device";
import { DmaBuffers } from "../../runtime/block/dma-buffers";
import { runDeviceFuzz } from "../fuzz/device-fuzz";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BlkModel } from "../sim/virtio/blk-model";
import { addVirtioMmio } from "../sim/virtio/mmio-device";
import { NetFeature, NetModel } from "../sim/virtio/net-model";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";

describe("device fuzzing (short slice)", () => {
  it.each([11, 22])("seed %i: 300 cases of misbehaving devices, every invariant kept", async (seed) => {
    const report = await runDeviceFuzz({ seed, cases: 300 });
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(300);
    expect(report.behaviours).toBeGreaterThan(4000);
    expect(report.injections).toBeGreaterThan(1500);
    expect(report.probeFailures).toBeGreaterThan(30);
    expect(report.combinations).toBeGreaterThanOrEqual(43);
  });

  it("reproduces a case from its seed and number", async () => {
    const whole = await runDeviceFuzz({ seed: 5, cases: 8 });
    const alone = await Promise.all([...Array(8).keys()].map((only) => runDeviceFuzz({ seed: 5, cases: 8, only })));
    expect(alone.reduce((n, r) => n + r.behaviours, 0)).toBe(whole.behaviours);
  });
});

describe("findings of the device fuzzer", () => {
  it("mmio: undefined InterruptStatus bits are neither reported nor acknowledged", () => {
    const machine = new SimMachine();
    const model = new RngModel(machine.memory, machine.violations);
    addVirtioMmio(machine, model, 0xfeb0_0000, 2);
    const registry = new VirtioDriverRegistry();
    registry.register(virtioRngDriver);
    const [probed] = probeVirtioMmio(machine, [{ base: 0xfeb0_0000, size: 0x200 }], registry).devices;
    model.isr = 0x52 | 0x2;
    expect(probed.device?.transport.readIsr()).toBe(0x2);
    assertNoViolations(machine.violations);
  });

  it("blk: indirect tables are no longer than the queue, so a 2-entry queue fails the device cleanly", () => {
    const machine = new SimMachine();
    const model = new BlkModel(machine.memory, machine.violations, { sectors: 8, queueSize: 2 });
    addVirtioPci(machine, model, { device: 4, layout: "modern" });
    const registry = new VirtioDriverRegistry();
    registry.register(createVirtioBlkDriver());
    const config = new PortPciConfig(machine.ports);
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry).devices;
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioConfigError);
    assertNoViolations(machine.violations);
  });

  it("net: features needing a control queue, offered without one, fail the device before FEATURES_OK", () => {
    const machine = new SimMachine();
    const model = new NetModel(machine.memory, machine.violations, { withhold: [NetFeature.CtrlVq] });
    addVirtioPci(machine, model, { device: 4, layout: "modern" });
    const registry = new VirtioDriverRegistry();
    registry.register(createVirtioNetDriver());
    const config = new PortPciConfig(machine.ports);
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry).devices;
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioFeatureError);
    assertNoViolations(machine.violations);
  });

  it("a ring whose indirect tables exceed the DMA memory fails the device with a typed error", () => {
    const machine = new SimMachine();
    // 512-byte segments: tables of 126 data descriptors (and 3 more) for each of 32768 entries.
    const model = new BlkModel(machine.memory, machine.violations, { sectors: 8, sizeMax: 512, segMax: 126 });
    model.faults.queueMaxSizes = [32768];
    // The legacy interface cannot choose a smaller ring than the device's.
    addVirtioPci(machine, model, { device: 4, layout: "legacy" });
    const registry = new VirtioDriverRegistry();
    registry.register(createVirtioBlkDriver());
    const config = new PortPciConfig(machine.ports);
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry).devices;
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioQueueError);
    expect(probed.error?.code).toBe("queue-memory");
    expect(probed.error?.detail).toMatch(/^queue 0 of 32768 entries: /);
    assertNoViolations(machine.violations);
  });

  it("net: a legacy transmit ring too small for one buffer fails the device with a typed error", () => {
    const machine = new SimMachine();
    // Without ANY_LAYOUT or indirect tables a legacy buffer takes two descriptors (header, frame).
    const model = new NetModel(machine.memory, machine.violations, { indirect: false });
    model.faults.queueMaxSizes = [256, 1, 64];
    addVirtioPci(machine, model, { device: 4, layout: "legacy" });
    const registry = new VirtioDriverRegistry();
    registry.register(createVirtioNetDriver());
    const config = new PortPciConfig(machine.ports);
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry).devices;
    expect(probed.state).toBe("failed");
    expect(probed.error).toBeInstanceOf(VirtioQueueError);
    assertNoViolations(machine.violations);
  });

  it.each([true, false])("block calls waiting for room settle when the device is detached (interrupts %s)", async (interrupts) => {
    const machine = new SimMachine();
    const config = new PortPciConfig(machine.ports);
    const router = new InterruptRouter(machine, config, machine);
    const model = new BlkModel(machine.memory, machine.violations, { sectors: 64, queueSize: 4, indirect: false });
    addVirtioPci(machine, model, { device: 4, layout: "modern" });
    const registry = new VirtioDriverRegistry();
    registry.register(createVirtioBlkDriver({ interrupts }));
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry, { interrupts: router }).devices;
    const loop = createEventLoop(() => machine.monotonicNs(), (error) => {
      throw error;
    });
    const device = probed.device;
    if (device === undefined) throw new Error("no device");
    const disk = new BlockDevice(device.instance as VirtioBlk, device.platform, loop, new DmaBuffers(machine));
    model.holdCompletions = true;
    // One request fits the 4-entry ring (three descriptors); the rest wait in the block layer.
    const calls = [0, 1, 2, 3].map((lba) => (lba % 2 === 0 ? disk.read(lba, new Uint8Array(512)) : disk.write(lba, new Uint8Array(512))));
    const outcomes = Promise.allSettled(calls);
    expect(disk.queued).toBeGreaterThan(0);
    device.detach();
    for (let turns = 0; turns < 5; turns++) {
      router.dispatcher.dispatch();
      loop.tick();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await outcomes;
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
    for (const result of results.slice(1)) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(VirtioRingBrokenError);
    assertNoViolations(machine.violations);
  });
});
