// VirtioDevice notices configuration changes once for every driver: from the config interrupt
// (MSI-X vector or ISR bit 1 on INTx), or when polled from config_generation (modern) or the ISR
// config bit (legacy); each change reaches the driver's configChanged exactly once.
import { describe, expect, it } from "vitest";
import { SIM_CLOCK_STEP_NS } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import type { VirtioDriver } from "../../drivers/virtio/registry";
import { echoDriver, echoRig, type EchoInstance } from "./virtio-interrupts-harness";

describe("configuration changes", () => {
  it.each([
    ["modern", "config_generation"],
    ["legacy", "ISR config bit"],
  ] as const)("polled %s device: checkConfig notices a change once (%s)", (layout, _how) => {
    const { machine, devices } = echoRig([{ queues: 1, bind: false, layout }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    expect(device.interruptMode).toBe("polling");
    expect(device.isModern).toBe(layout === "modern");
    expect(device.checkConfig()).toBe(false);
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(device.checkConfig()).toBe(true);
    expect(instance.events).toEqual(["config"]);
    expect(device.checkConfig()).toBe(false);
    expect(instance.events).toEqual(["config"]);
    expect(device.configChanges).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("polled: checks at most once per interval", () => {
    const { devices } = echoRig([{ queues: 1, bind: false }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    expect(device.checkConfig(1e12)).toBe(false);
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(device.checkConfig(1e12)).toBe(false);
    expect(device.checkConfig()).toBe(true);
  });

  it("polled: checks again once the interval has passed", () => {
    const { machine, devices } = echoRig([{ queues: 1, bind: false }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    const interval = 10 * SIM_CLOCK_STEP_NS;
    // Each clock read moves the simulated clock one step: the check reads it once.
    const checkedAt = machine.monotonicNs() + SIM_CLOCK_STEP_NS;
    expect(device.checkConfig(interval)).toBe(false);
    model.changeConfig((view) => view.setUint8(0, 1));
    machine.waitForInterrupt(checkedAt + interval - 2 * SIM_CLOCK_STEP_NS);
    expect(device.checkConfig(interval)).toBe(false);
    machine.waitForInterrupt(checkedAt + interval - SIM_CLOCK_STEP_NS);
    expect(device.checkConfig(interval)).toBe(true);
    expect(instance.events).toEqual(["config"]);
  });

  it("polled: a recovered device is checked at once, whatever interval the old one was waiting out", () => {
    const { devices } = echoRig([{ queues: 1, bind: false }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    expect(device.checkConfig(1e12)).toBe(false);
    expect(device.recover()).toBe(true);
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(device.checkConfig(1e12)).toBe(true);
  });

  it("polled modern device: a change made before the driver claimed the device is none to it", () => {
    const { machine, devices } = echoRig([{ queues: 1, bind: false, prepare: (model) => model.changeConfig((view) => view.setUint8(0, 1)) }]);
    const [{ instance }] = devices;
    expect(instance.device.checkConfig()).toBe(false);
    expect(instance.events).toEqual([]);
    assertNoViolations(machine.violations);
  });

  it.each([
    ["MSI-X", {}],
    ["INTx", { msixVectors: 0 }],
  ] as const)("with interrupts bound (%s) the interrupt brings the change, and checkConfig leaves it alone", (_, pci) => {
    const { machine, router, devices } = echoRig([{ queues: 1, ...pci }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    expect(device.interruptMode).not.toBe("polling");
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(device.checkConfig()).toBe(false);
    expect(instance.events).toEqual([]);
    router.dispatcher.dispatch();
    expect(instance.events).toEqual(["config"]);
    expect(device.configChanges).toBe(1);
    assertNoViolations(machine.violations);
  });

  it.each([
    ["MSI-X", {}],
    ["INTx", { msixVectors: 0 }],
  ] as const)("with interrupts bound (%s), a device that needs a reset brings no change: its queues break", (_, pci) => {
    const { router, devices } = echoRig([{ queues: 1, ...pci }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    model.enterNeedsReset();
    router.dispatcher.dispatch();
    expect(instance.events).toEqual([]);
    expect(device.configChanges).toBe(0);
    expect(device.needsResets).toBe(1);
    // The echo driver has no ringBroken hook: the device is failed.
    expect(device.state).toBe("failed");
    expect(device.error?.code).toBe("device-needs-reset");
  });

  it("polled modern device: a device that needs a reset is noticed by the check, and breaks the queues", () => {
    const { devices } = echoRig([{ queues: 1, bind: false }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    model.enterNeedsReset();
    expect(device.checkConfig()).toBe(true);
    expect(device.needsResets).toBe(1);
    expect(device.error?.code).toBe("device-needs-reset");
    expect(device.error?.detail).toMatch(/DEVICE_NEEDS_RESET/);
  });

  it("a device that needs a reset has every queue broken before the driver hears of it, once", () => {
    const { devices } = echoRig([{ queues: 3, bind: false }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    device.detach();
    const seen: string[][] = [];
    const driver: VirtioDriver<EchoInstance> = {
      ...echoDriver(3, false),
      // What a driver may do here (write on another queue) must find that queue broken too.
      ringBroken: (broken, error) => seen.push([error.code, ...broken.queues.map((queue) => queue.broken?.code ?? "open")]),
    };
    expect(device.claim(driver as VirtioDriver)).toBe(true);
    model.enterNeedsReset();
    expect(device.checkConfig()).toBe(true);
    expect(seen).toEqual([["device-needs-reset", "device-needs-reset", "device-needs-reset", "device-needs-reset"]]);
  });

  it("a driver without a configChanged hook takes changes without an error", () => {
    const { devices } = echoRig([{ queues: 1, bind: false }]);
    const [{ model, instance }] = devices;
    const device = instance.device;
    device.detach();
    const { configChanged: _, ...withoutHook } = echoDriver(1, false);
    expect(device.claim(withoutHook as VirtioDriver)).toBe(true);
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(device.checkConfig()).toBe(true);
    expect(device.configChanges).toBe(1);
    expect(device.configErrors).toBe(0);
  });

  it("a change after detach reaches no driver", () => {
    const { devices } = echoRig([{ queues: 1, bind: false }]);
    const [{ model, instance }] = devices;
    instance.device.detach();
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(instance.device.checkConfig()).toBe(false);
    expect(instance.events).toEqual([]);
  });
});
