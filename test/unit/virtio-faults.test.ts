import { describe, expect, it } from "vitest";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { VirtioDevice } from "../../drivers/virtio/device";
import {
  VirtioConfigError,
  VirtioError,
  VirtioFeatureError,
  VirtioQueueError,
  VirtioStatusError,
  VirtioTransportError,
} from "../../drivers/virtio/errors";
import { DeviceStatus } from "../../drivers/virtio/status";
import { VIRTIO_PCI_CAP } from "../../drivers/virtio/transport/pci-capability";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { claimVirtioDevice, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry, type VirtioDriver } from "../../drivers/virtio/registry";
import { virtioRngDriver } from "../../drivers/virtio/rng/rng";
import type { VirtioRng } from "../../drivers/virtio/rng/rng";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BLK_CONFIG } from "../../drivers/virtio/blk/constants";
import { BlkModel } from "../sim/virtio/blk-model";
import type { VirtioDeviceModel } from "../sim/virtio/device-model";
import { addVirtioPci } from "../sim/virtio/pci-device";
import type { SimVirtioPci, VirtioPciLayout } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";

interface Slot {
  model: VirtioDeviceModel;
  sim: SimVirtioPci;
}

/** Three rng devices at 00:03, 00:04, 00:05; `spoil` breaks the middle one. */
function probeWithBrokenMiddle(spoil: (slot: Slot) => void, layout: VirtioPciLayout = "modern") {
  const machine = new SimMachine();
  const slots: Slot[] = [3, 4, 5].map((device) => {
    const model = new RngModel(machine.memory, machine.violations);
    return { model, sim: addVirtioPci(machine, model, { device, layout }) };
  });
  spoil(slots[1]);
  const registry = new VirtioDriverRegistry();
  registry.register(virtioRngDriver);
  const config = new PortPciConfig(machine.ports);
  const result = probeVirtioPci(machine, config, enumeratePci(config), registry);
  return { machine, slots, result };
}

function expectOthersWork(result: ReturnType<typeof probeWithBrokenMiddle>["result"]) {
  for (const index of [0, 2]) {
    const probed = result.devices[index];
    expect(probed.state).toBe("ready");
    const rng = probed.instance as VirtioRng;
    expect(rng.getRandomValues(new Uint8Array(32)).some((b) => b !== 0)).toBe(true);
  }
  expect(result.lines[3]).toBe("virtio-ready 2");
}

describe("misbehaving devices fail alone with a typed error", () => {
  it.each([
    ["reset never completes", (s: Slot): void => {
      s.model.faults.resetNeverCompletes = true;
    }, VirtioStatusError, "reset-timeout"],
    ["FEATURES_OK refused", (s: Slot): void => {
      s.model.faults.refuseFeaturesOk = true;
    }, VirtioFeatureError, "features-ok"],
    ["modern interface without VERSION_1", (s: Slot): void => {
      s.model.faults.withholdVersion1 = true;
    }, VirtioFeatureError, "version-1"],
    ["queue size 0", (s: Slot): void => {
      s.model.faults.queueMaxSizes = [0];
    }, VirtioQueueError, "queue-absent"],
    ["queue size not a power of two", (s: Slot): void => {
      s.model.faults.queueMaxSizes = [100];
    }, VirtioQueueError, "queue-size"],
    ["queue size above 32768", (s: Slot): void => {
      s.model.faults.queueMaxSizes = [65536];
    }, VirtioQueueError, "queue-size"],
    ["notify offset outside the notify window", (s: Slot): void => {
      s.model.faults.notifyOffset = 1000;
    }, VirtioQueueError, "notify-offset"],
    ["common cap outside its BAR", (s: Slot): void => s.sim.fn.poke32(s.sim.caps.common + VIRTIO_PCI_CAP.offset.offset, 0x3ff0), VirtioTransportError, "no-transport"],
    ["common cap naming BAR 7", (s: Slot): void => s.sim.fn.poke8(s.sim.caps.common + VIRTIO_PCI_CAP.bar.offset, 7), VirtioTransportError, "no-transport"],
    ["notify cap too short", (s: Slot): void => s.sim.fn.poke8(s.sim.caps.notify + VIRTIO_PCI_CAP.cap_len.offset, 16), VirtioTransportError, "no-transport"],
    ["common cap on an unassigned BAR", (s: Slot): void => s.sim.fn.poke8(s.sim.caps.common + VIRTIO_PCI_CAP.bar.offset, 3), VirtioTransportError, "no-transport"],
    ["capability list loop", (s: Slot): void => s.sim.fn.poke8(s.sim.caps.pciCfg + 1, s.sim.caps.msix), VirtioTransportError, "capabilities"],
    ["capability pointer into the header", (s: Slot): void => s.sim.fn.poke8(s.sim.caps.msix + 1, 0x10), VirtioTransportError, "capabilities"],
  ] as const)("%s", (_, spoil, type, code) => {
    const { result } = probeWithBrokenMiddle(spoil);
    const failed = result.devices[1];
    expect(failed.state).toBe("failed");
    expect(failed.error).toBeInstanceOf(type);
    expect(failed.error).toBeInstanceOf(VirtioError);
    expect(failed.error?.code).toBe(code);
    expect(failed.error?.deviceName).toBe("00:04.0");
    expect(result.lines[1]).toMatch(new RegExp(`^virtio-error 00:04\\.0 ${code}: \\S`));
    expectOthersWork(result);
  });

  it("a device that could not be opened has no driver, instance or state to claim later", () => {
    const { result } = probeWithBrokenMiddle((s) => s.sim.fn.poke8(s.sim.caps.common + VIRTIO_PCI_CAP.bar.offset, 7));
    const failed = result.devices[1];
    expect(failed.device).toBeUndefined();
    expect(claimVirtioDevice(failed, virtioRngDriver as VirtioDriver)).toBe(false);
    expect(failed.state).toBe("failed");
    expect(failed.driver).toBeUndefined();
    expect(failed.instance).toBeUndefined();
    expect(failed.error?.code).toBe("no-transport");
  });

  it("sets FAILED on a device that got far enough to be told", () => {
    const { slots } = probeWithBrokenMiddle((s) => (s.model.faults.refuseFeaturesOk = true));
    expect(slots[1].model.readStatus() & DeviceStatus.Failed).toBe(DeviceStatus.Failed);
    expect(slots[0].model.readStatus() & DeviceStatus.Failed).toBe(0);
  });

  it("a transitional device with broken modern caps falls back to legacy", () => {
    const { result, machine } = probeWithBrokenMiddle((s) => s.sim.fn.poke32(s.sim.caps.notify + VIRTIO_PCI_CAP.offset.offset, 0x4000), "transitional");
    expect(result.devices.map((d) => d.device?.transport.kind)).toEqual(["modern", "legacy", "modern"]);
    expect(result.lines[1]).toMatch(/^virtio 00:04\.0 type=rng transport=legacy notify=io /);
    expect((result.devices[1].instance as VirtioRng).getRandomValues(new Uint8Array(8)).length).toBe(8);
    assertNoViolations(machine.violations);
  });
});

describe("device config reads", () => {
  function blk(layout: VirtioPciLayout = "modern") {
    const machine = new SimMachine();
    const model = new BlkModel(machine.memory, machine.violations, { sectors: 2048 });
    addVirtioPci(machine, model, { device: 6, layout });
    const config = new PortPciConfig(machine.ports);
    const transport = createPciTransport(machine, config, enumeratePci(config)[0]);
    const device = new VirtioDevice(machine, transport);
    device.acknowledge();
    return { machine, model, transport };
  }

  it("retries until config_generation is stable", () => {
    const { machine, model, transport } = blk();
    model.faults.configGenerationBumps = 3;
    let reads = 0;
    const capacity = transport.readConfigStable(() => {
      reads++;
      return transport.readConfig64(BLK_CONFIG.capacity);
    });
    expect(capacity).toBe(2048n);
    // Two config reads per attempt: bumps land in attempts 1 and 2, attempt 3 is stable.
    expect(reads).toBe(3);
    assertNoViolations(machine.violations);
  });

  it("gives up with a typed error when the generation never settles", () => {
    const { model, transport } = blk();
    model.faults.configGenerationBumps = Number.POSITIVE_INFINITY;
    expect(() => transport.readConfigStable(() => transport.readConfig(BLK_CONFIG.blk_size))).toThrow(VirtioConfigError);
  });

  it.each(["modern", "legacy"] as const)("reads 8/16/32/64-bit fields over %s", (layout) => {
    const { machine, transport } = blk(layout);
    expect(transport.readConfig64(BLK_CONFIG.capacity)).toBe(2048n);
    expect(transport.readConfig(BLK_CONFIG.blk_size)).toBe(512);
    expect(transport.readConfig(BLK_CONFIG.num_queues)).toBe(1);
    expect(transport.readConfig(BLK_CONFIG.write_zeroes_may_unmap)).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("MSI-X vector registers read back, refusing vectors beyond the table", () => {
    const { transport } = blk();
    expect(transport.setConfigVector(1)).toBe(1);
    expect(transport.setQueueVector(0, 3)).toBe(3);
    expect(transport.setQueueVector(0, 9)).toBe(0xffff);
  });
});
