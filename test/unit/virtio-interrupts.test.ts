import { describe, expect, it } from "vitest";
import { NO_VECTOR } from "../../drivers/virtio/interrupts";
import { register } from "../../drivers/virtio/register";
import { MsixTable } from "../../kernel/irq/msix";
import { IoApic } from "../../kernel/irq/ioapic";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { PciCommand } from "../../kernel/pci/registers";
import { SIM_IO_APIC_ADDRESS } from "../sim/acpi";
import { assertNoViolations } from "../sim/violations";
import { claimVirtioDevice, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry, type VirtioDriver } from "../../drivers/virtio/registry";
import { InterruptRouter } from "../../kernel/irq/router";
import { SimMachine } from "../sim/machine";
import { ECHO_CONFIG_SIZE, EchoModel } from "../sim/virtio/echo-model";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { echoDriver, echoRig, submit, takeAll } from "./virtio-interrupts-harness";

/** The echo device's configuration is plain bytes; the test reads its second 32-bit word. */
const ECHO_WORD_1 = register("word_1", 4, 4, "ro");

const QUEUES = 3;

describe("virtio interrupt binding: MSI-X", () => {
  it("gives the configuration entry 0 and each queue its own entry and vector", () => {
    const { machine, router, devices } = echoRig([{ queues: QUEUES, msixVectors: 4 }]);
    const [{ model, pci, instance }] = devices;
    expect(instance.mode).toBe("msix");
    expect(model.configMsixVector).toBe(0);
    expect(model.queues.map((q) => q.msixVector)).toEqual([1, 2, 3]);
    expect(pci.msix?.enabled).toBe(true);

    submit(machine, instance.queues[1], 7);
    expect(pci.msix?.sent).toEqual([0, 0, 1, 0]);
    expect(router.dispatcher.dispatch()).toBe(1);
    expect(instance.events).toEqual(["q1"]);
    expect(takeAll(instance.queues[1])).toEqual([7]);
    submit(machine, instance.queues[2], 8);
    router.dispatcher.dispatch();
    expect(instance.events).toEqual(["q1", "q2"]);
    expect(instance.device.interruptStats?.interrupts).toBe(2);
    expect(router.dispatcher.unexpected).toBe(0);
    expect(new Set(machine.apic.delivered.keys()).size).toBe(2);
    assertNoViolations(machine.violations);
  });

  it("shares one vector among the queues when the table is too small for one each", () => {
    const { machine, router, devices } = echoRig([{ queues: QUEUES, msixVectors: 2 }]);
    const [{ model, instance }] = devices;
    expect(instance.mode).toBe("msix-shared");
    expect(model.configMsixVector).toBe(0);
    expect(model.queues.map((q) => q.msixVector)).toEqual([1, 1, 1]);
    submit(machine, instance.queues[2], 1);
    router.dispatcher.dispatch();
    expect(instance.events).toEqual(["q0", "q1", "q2"]);
    assertNoViolations(machine.violations);
  });

  it("falls back to the shared vector when queue entries read back NO_VECTOR", () => {
    const { machine, devices } = echoRig([{ queues: QUEUES, msixVectors: 4, prepare: (m) => (m.faults.refuseVectorsFrom = 2) }]);
    const [{ model, instance }] = devices;
    expect(instance.mode).toBe("msix-shared");
    expect(model.queues.map((q) => q.msixVector)).toEqual([1, 1, 1]);
    assertNoViolations(machine.violations);
  });

  it("falls back to INTx, with MSI-X off, when every vector is refused or reads back wrong", () => {
    for (const prepare of [
      (m: { faults: { refuseVectorsFrom: number } }) => (m.faults.refuseVectorsFrom = 0),
      (m: { faults: { vectorReadback: number | undefined } }) => (m.faults.vectorReadback = 3),
    ]) {
      const { machine, router, devices } = echoRig([{ queues: QUEUES, msixVectors: 4, prepare }]);
      const [{ model, pci, instance }] = devices;
      expect(instance.mode).toBe("intx");
      expect(pci.msix?.enabled).toBe(false);
      expect(model.configMsixVector).toBe(NO_VECTOR);
      expect(pci.fn.command & PciCommand.InterruptDisable).toBe(0);
      submit(machine, instance.queues[0], 1);
      router.dispatcher.dispatch();
      expect(instance.events).toEqual(["q0", "q1", "q2"]);
      assertNoViolations(machine.violations);
    }
  });

  it("reads legacy device configuration at the moved offset and back after falling back to INTx", () => {
    const pattern = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
    for (const refuse of [Number.POSITIVE_INFINITY, 0]) {
      const { machine, devices } = echoRig([
        {
          queues: 1,
          layout: "legacy",
          prepare: (m) => {
            m.config.set(pattern.slice(0, ECHO_CONFIG_SIZE));
            m.faults.refuseVectorsFrom = refuse;
          },
        },
      ]);
      const [{ instance }] = devices;
      expect(instance.mode).toBe(refuse === 0 ? "intx" : "msix");
      expect(instance.device.transport.readConfig(ECHO_WORD_1)).toBe(0x88776655);
      assertNoViolations(machine.violations);
    }
  });

  it("signals a configuration change on the configuration vector", () => {
    const { machine, router, devices } = echoRig([{ queues: 1 }]);
    const [{ model, pci, instance }] = devices;
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(pci.msix?.sent[0]).toBe(1);
    router.dispatcher.dispatch();
    expect(instance.events).toEqual(["config"]);
    assertNoViolations(machine.violations);
  });

  it("polls when the probe has no interrupt router", () => {
    const machine = new SimMachine();
    addVirtioPci(machine, new EchoModel(machine.memory, machine.violations, 1), { device: 3, layout: "modern" });
    const config = new PortPciConfig(machine.ports);
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), new VirtioDriverRegistry()).devices;
    claimVirtioDevice(probed, echoDriver(1));
    expect(probed.device?.interruptMode).toBe("polling");
    assertNoViolations(machine.violations);
  });
});

describe("virtio interrupt binding: INTx", () => {
  it("shares a line between two devices; each handler reads its own ISR", () => {
    const { machine, router, devices } = echoRig([
      { queues: 1, msixVectors: 0, interruptLine: 11 },
      { queues: 1, msixVectors: 0, interruptLine: 11 },
    ]);
    const [a, b] = devices;
    expect([a.instance.mode, b.instance.mode]).toEqual(["intx", "intx"]);
    submit(machine, a.instance.queues[0], 1);
    expect(a.pci.interrupts.intxAsserted).toBe(true);
    expect(router.dispatcher.dispatch()).toBe(1);
    expect(a.instance.events).toEqual(["q0"]);
    expect(b.instance.events).toEqual([]);
    expect(b.instance.device.interruptStats?.spurious).toBe(1);
    expect(a.pci.interrupts.intxAsserted).toBe(false);
    expect(router.dispatcher.dispatch()).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("re-raises a level line that is still asserted after the handlers ran", () => {
    const { machine, router, devices } = echoRig([{ queues: 1, msixVectors: 0, interruptLine: 10, eventIdx: false }]);
    const [{ model, instance }] = devices;
    submit(machine, instance.queues[0], 1);
    // The device completes another request after the handler read the ISR, before the end of interrupt.
    model.holdCompletions = true;
    submit(machine, instance.queues[0], 2);
    expect(router.dispatcher.dispatch()).toBe(1);
    model.releaseHeld(0);
    expect(router.dispatcher.dispatch()).toBe(1);
    expect(instance.events).toEqual(["q0", "q0"]);
    expect(router.dispatcher.dispatch()).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("signals a configuration change through ISR bit 1 only", () => {
    const { machine, router, devices } = echoRig([{ queues: 2, msixVectors: 0 }]);
    const [{ model, instance }] = devices;
    model.changeConfig((view) => view.setUint8(0, 1));
    router.dispatcher.dispatch();
    expect(instance.events).toEqual(["config"]);
    assertNoViolations(machine.violations);
  });

  it("keeps the line of a polled device low, so it cannot disturb a device sharing it", () => {
    const { machine, router, devices } = echoRig([
      { queues: 1, msixVectors: 0, interruptLine: 11, bind: false },
      { queues: 1, msixVectors: 0, interruptLine: 11 },
    ]);
    const [polled, bound] = devices;
    expect([polled.instance.mode, bound.instance.mode]).toEqual(["polling", "intx"]);
    expect(polled.pci.fn.command & PciCommand.InterruptDisable).toBe(PciCommand.InterruptDisable);
    submit(machine, polled.instance.queues[0], 1);
    expect(polled.model.isr).not.toBe(0);
    expect(polled.pci.interrupts.intxAsserted).toBe(false);
    expect(router.dispatcher.dispatch()).toBe(0);
    expect(takeAll(polled.instance.queues[0])).toEqual([1]);
    assertNoViolations(machine.violations);
  });
});

describe("interrupt mistakes are caught", () => {
  it("MSI-X entries outside the message window or below the device vectors", () => {
    const { machine, router, devices } = echoRig([{ queues: 1, msixVectors: 0 }, { queues: 1, msixVectors: 4, prepare: (m) => (m.faults.refuseVectorsFrom = 0) }]);
    const fn = enumeratePci(new PortPciConfig(machine.ports))[1];
    const table = MsixTable.open(machine, new PortPciConfig(machine.ports), fn) as MsixTable;
    expect(devices[1].instance.mode).toBe("intx");
    table.setEntry(0, 20, machine.localApicId);
    table.setEntry(1, 60, 5);
    expect(machine.violations.entries.join("\n")).toMatch(/entry 0 unmasked with vector 20 outside/);
    expect(machine.violations.entries.join("\n")).toMatch(/entry 1 unmasked with MSI destination APIC 5/);
    expect(router.dispatcher.unexpected).toBe(0);
  });

  it("a queue vector written for an enabled queue", () => {
    const { machine, devices } = echoRig([{ queues: 1 }]);
    devices[0].instance.device.transport.setQueueVector(0, 1);
    expect(machine.violations.entries).toEqual([expect.stringMatching(/queue_msix_vector written for enabled queue 0/)]);
  });

  it("an I/O APIC route whose trigger or polarity differs from the wire", () => {
    const { machine } = echoRig([]);
    machine.mapPhysical(SIM_IO_APIC_ADDRESS, 0x20);
    new IoApic(machine.mmio, SIM_IO_APIC_ADDRESS, 0).route(10, 60, 0, { levelTriggered: false, activeLow: true });
    expect(machine.violations.entries.join("\n")).toMatch(/GSI 10 unmasked with trigger mode differs/);
    expect(machine.violations.entries.join("\n")).toMatch(/polarity differs/);
  });

  it("counts the interrupts that reach each queue, across a recovery", () => {
    const { machine, router, devices } = echoRig([{ queues: QUEUES, msixVectors: 4 }]);
    const [{ instance }] = devices;
    const device = instance.device;
    for (const [queue, token] of [[1, 1], [1, 2], [2, 3]]) {
      submit(machine, instance.queues[queue], token);
      router.dispatcher.dispatch();
      expect(takeAll(instance.queues[queue])).toEqual([token]);
      instance.queues[queue].enableInterrupts();
    }
    expect(device.queueInterrupts).toEqual([0, 2, 1]);
    expect(device.recover()).toBe(true);
    const fresh = device.instance as typeof instance;
    submit(machine, fresh.queues[1], 4);
    router.dispatcher.dispatch();
    expect(fresh.events).toEqual(["q1"]);
    expect(device.queueInterrupts).toEqual([0, 3, 1]);
    assertNoViolations(machine.violations);
  });

  it("names every queue created before its interrupt was bound", () => {
    const { devices } = echoRig([{ queues: 2, bind: false }]);
    expect(() => devices[0].instance.device.bindInterrupts({ queues: 2, onQueue: () => {} })).toThrow(/queue 0,1 created before/);
  });

  it("binds a queue's interrupt after another queue was created polled", () => {
    const machine = new SimMachine();
    addVirtioPci(machine, new EchoModel(machine.memory, machine.violations, 2), { device: 3, layout: "modern", msixVectors: 4 });
    const config = new PortPciConfig(machine.ports);
    const router = new InterruptRouter(machine, config, machine);
    const [probed] = probeVirtioPci(machine, config, enumeratePci(config), new VirtioDriverRegistry(), { interrupts: router }).devices;
    const mixed: VirtioDriver = {
      ...echoDriver(2),
      attach: (device) => {
        device.createQueue(0);
        expect(device.bindInterrupts({ queues: [1], onQueue: () => {} })).toBe("msix");
        return device.createQueue(1);
      },
    };
    expect(claimVirtioDevice(probed, mixed)).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("binding after a queue was created, or twice, is a usage error", () => {
    const { devices } = echoRig([{ queues: 1 }, { queues: 1, bind: false }]);
    const [bound, unbound] = devices.map((d) => d.instance.device);
    expect(() => bound.bindInterrupts({ queues: 1, onQueue: () => {} })).toThrow(expect.objectContaining({ code: "interrupts-bound" }));
    expect(() => unbound.bindInterrupts({ queues: 1, onQueue: () => {} })).toThrow(expect.objectContaining({ code: "interrupts-late" }));
    expect(() => bound.bindInterrupts({ queues: 1, onQueue: () => {} })).toThrow(/already bound/);
    expect(() => unbound.bindInterrupts({ queues: 1, onQueue: () => {} })).toThrow(/queue 0 created before its interrupt was bound/);
    expect(() => unbound.bindInterrupts({ queues: [5], onQueue: () => {} })).toThrow(/not one of the device's 1 queues/);
  });
});
