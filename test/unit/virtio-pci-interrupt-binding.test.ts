// The PCI interrupt binder on its own: what it leaves in the function and the device when a
// binding is made, when it is released, and when no interrupt route exists.
import { describe, expect, it } from "vitest";
import { PciInterruptBinder } from "../../drivers/virtio/transport/pci-interrupts";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { PciCommand, PciReg } from "../../kernel/pci/registers";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { EchoModel } from "../sim/virtio/echo-model";
import { addVirtioPci } from "../sim/virtio/pci-device";

/** MSI-X vector register value "no vector" (virtio 1.2 section 4.1.5.1.2). */
const NO_VECTOR = 0xffff;

function rig(options: { queues: number; msixVectors: number; interruptLine?: number; intxPin?: boolean }) {
  const machine = new SimMachine();
  const model = new EchoModel(machine.memory, machine.violations, options.queues);
  const pci = addVirtioPci(machine, model, { device: 3, layout: "modern", msixVectors: options.msixVectors, interruptLine: options.interruptLine });
  if (options.intxPin === false) pci.fn.poke8(PciReg.InterruptPin, 0);
  const config = new PortPciConfig(machine.ports);
  const [fn] = enumeratePci(config);
  const transport = createPciTransport(machine, config, fn);
  const router = new InterruptRouter(machine, config, machine);
  const binder = new PciInterruptBinder(router, config, fn, transport);
  const events: string[] = [];
  const handlers = { queues: options.queues, onQueue: (q: number) => events.push(`q${q}`), onConfig: () => events.push("config") };
  const queues = Array.from({ length: options.queues }, (_, i) => i);
  return { machine, model, pci, router, binder, events, bind: () => binder.bind(handlers, queues) };
}

const interruptDisabled = (command: number) => (command & PciCommand.InterruptDisable) !== 0;

describe("PCI interrupt binding", () => {
  it("keeps INTx disabled from the start, before anything is bound", () => {
    const { pci } = rig({ queues: 1, msixVectors: 0 });
    expect(interruptDisabled(pci.fn.command)).toBe(true);
  });

  it("INTx: enables the line while bound and disables it again on release", () => {
    const { machine, model, pci, router, events, bind } = rig({ queues: 1, msixVectors: 0, interruptLine: 10 });
    const binding = bind();
    expect(binding.mode).toBe("intx");
    expect(interruptDisabled(pci.fn.command)).toBe(false);
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(router.dispatcher.dispatch()).toBe(1);
    expect(events).toEqual(["config"]);
    expect(binding.stats.interrupts).toBe(1);

    binding.release();
    expect(interruptDisabled(pci.fn.command)).toBe(true);
    model.changeConfig((view) => view.setUint8(0, 2));
    expect(pci.interrupts.intxAsserted).toBe(false);
    router.dispatcher.dispatch();
    expect(events).toEqual(["config"]);
    assertNoViolations(machine.violations);
  });

  it("MSI-X: routes the configuration to entry 0, and on release disables MSI-X and frees the vectors", () => {
    const { machine, model, pci, router, events, bind } = rig({ queues: 2, msixVectors: 3 });
    const binding = bind();
    expect(binding.mode).toBe("msix");
    expect(model.configMsixVector).toBe(0);
    expect(model.queues.map((q) => q.msixVector)).toEqual([1, 2]);
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(pci.msix?.sent).toEqual([1, 0, 0]);
    router.dispatcher.dispatch();
    expect(events).toEqual(["config"]);
    expect(binding.stats.interrupts).toBe(1);

    binding.release();
    expect(pci.msix?.enabled).toBe(false);
    // Released vectors are handed out again: a second binding gets the same ones.
    const again = bind();
    expect(again.mode).toBe("msix");
    model.changeConfig((view) => view.setUint8(0, 2));
    router.dispatcher.dispatch();
    expect(events).toEqual(["config", "config"]);
    expect(router.dispatcher.unexpected).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("a refused MSI-X layout is undone before INTx is tried", () => {
    const { machine, model, pci, bind } = rig({ queues: 2, msixVectors: 3 });
    model.faults.refuseVectorsFrom = 0;
    const binding = bind();
    expect(binding.mode).toBe("intx");
    expect(model.configMsixVector).toBe(NO_VECTOR);
    expect(model.queues.map((q) => q.msixVector)).toEqual([NO_VECTOR, NO_VECTOR]);
    expect(pci.msix?.enabled).toBe(false);
    assertNoViolations(machine.violations);
  });

  it("one queue and a one-entry table: no MSI-X layout fits, so INTx, and no entry beyond the table is touched", () => {
    const { machine, pci, bind } = rig({ queues: 1, msixVectors: 1 });
    expect(bind().mode).toBe("intx");
    expect(pci.msix?.enabled).toBe(false);
    assertNoViolations(machine.violations);
  });

  it("two queues and a one-entry table: no MSI-X layout fits, so INTx, and no entry beyond the table is touched", () => {
    const { machine, pci, bind } = rig({ queues: 2, msixVectors: 1 });
    expect(bind().mode).toBe("intx");
    expect(pci.msix?.enabled).toBe(false);
    assertNoViolations(machine.violations);
  });

  it("a configuration change on MSI-X with no configuration handler is harmless", () => {
    const { machine, model, router, binder } = rig({ queues: 1, msixVectors: 2 });
    const binding = binder.bind({ queues: 1, onQueue: () => {} }, [0]);
    expect(binding.mode).toBe("msix");
    model.changeConfig((view) => view.setUint8(0, 1));
    expect(() => router.dispatcher.dispatch()).not.toThrow();
    expect(binding.stats.interrupts).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("when the CPU's vectors run out mid-way, the vectors taken are given back and the queues share one", () => {
    const machine = new SimMachine();
    const config = new PortPciConfig(machine.ports);
    // 128 + 101 entries wanted; the local APIC has 207 device vectors (48..254).
    const big = new EchoModel(machine.memory, machine.violations, 127);
    addVirtioPci(machine, big, { device: 3, layout: "modern", msixVectors: 128 });
    const late = new EchoModel(machine.memory, machine.violations, 100);
    addVirtioPci(machine, late, { device: 4, layout: "modern", msixVectors: 101 });
    const router = new InterruptRouter(machine, config, machine);
    /** Binds every queue of the `index`-th function. */
    const bindAll = (index: number, queues: number) => {
      const fn = enumeratePci(config)[index];
      const binder = new PciInterruptBinder(router, config, fn, createPciTransport(machine, config, fn));
      return binder.bind({ queues, onQueue: () => {} }, Array.from({ length: queues }, (_, i) => i));
    };
    expect(bindAll(0, 127).mode).toBe("msix");
    expect(bindAll(1, 100).mode).toBe("msix-shared");
    expect(late.configMsixVector).toBe(0);
    expect(new Set(late.queues.map((q) => q.msixVector))).toEqual(new Set([1]));
    assertNoViolations(machine.violations);
  });

  it("an unexpected failure while routing INTx is not mistaken for a missing route", () => {
    const { machine, pci, router, binder } = rig({ queues: 1, msixVectors: 0 });
    router.routeIntx = () => {
      throw new TypeError("router bug");
    };
    expect(() => binder.bind({ queues: 1, onQueue: () => {} }, [0])).toThrow(TypeError);
    expect(interruptDisabled(pci.fn.command)).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("two queues and a two-entry table: the queues share entry 1", () => {
    const { model, bind } = rig({ queues: 2, msixVectors: 2 });
    expect(bind().mode).toBe("msix-shared");
    expect(model.queues.map((q) => q.msixVector)).toEqual([1, 1]);
  });

  it("without MSI-X and without an INTx pin, the device is polled and its line stays disabled", () => {
    const { machine, pci, bind } = rig({ queues: 1, msixVectors: 0, intxPin: false });
    const binding = bind();
    expect(binding.mode).toBe("polling");
    expect(interruptDisabled(pci.fn.command)).toBe(true);
    binding.release();
    assertNoViolations(machine.violations);
  });
});
