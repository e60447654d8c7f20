// The virtio-mmio interrupt binder on the simulated machine: the device's line routed on the
// I/O APIC as described, its handler reading InterruptStatus and acknowledging it, and a line
// no I/O APIC handles leaving the device polled.
import { describe, expect, it } from "vitest";
import { MmioTransport } from "../../drivers/virtio/transport/mmio";
import { MmioInterruptBinder } from "../../drivers/virtio/transport/mmio-interrupts";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { MemoryRegion } from "../../kernel/pci/io-region";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { EchoModel } from "../sim/virtio/echo-model";
import { addVirtioMmio } from "../sim/virtio/mmio-device";

const BASE = 0xfeb0_0000;
const WINDOW = 0x200;
/** Wired level-triggered, active-high on the simulated board, as QEMU microvm's virtio lines are. */
const LEVEL_HIGH_GSI = 11;

function rig(gsi: number) {
  const machine = new SimMachine();
  const model = new EchoModel(machine.memory, machine.violations, 1);
  addVirtioMmio(machine, model, BASE, 2);
  machine.mapPhysical(BASE, WINDOW);
  machine.ioApic.connect(gsi, () => model.isr !== 0);
  model.interruptSink = { signal: () => {}, isrChanged: () => machine.ioApic.lineChanged(gsi) };
  const transport = new MmioTransport(machine, "mmio@0xfeb00000", new MemoryRegion(machine.mmio, BASE, WINDOW));
  const router = new InterruptRouter(machine, new PortPciConfig(machine.ports), machine);
  const events: string[] = [];
  const handlers = { queues: 1, onQueue: (q: number) => events.push(`q${q}`), onConfig: () => events.push("config") };
  const binder = new MmioInterruptBinder(router, { gsi, levelTriggered: true, activeLow: false }, transport);
  return { machine, model, router, events, bind: () => binder.bind(handlers, [0]) };
}

describe("virtio-mmio interrupt binding", () => {
  it("routes the line, and its handler reads and acknowledges InterruptStatus", () => {
    const { machine, model, router, events, bind } = rig(LEVEL_HIGH_GSI);
    const binding = bind();
    expect(binding.mode).toBe("line");
    model.changeConfig(() => {});
    expect(router.dispatcher.dispatch()).toBe(1);
    expect(events).toEqual(["config"]);
    expect(model.isr).toBe(0);
    expect(binding.stats.interrupts).toBe(1);
    binding.release();
    assertNoViolations(machine.violations);
  });

  it("leaves the device polled when no I/O APIC handles its GSI", () => {
    const { machine, model, router, events } = rig(LEVEL_HIGH_GSI);
    const transport = new MmioTransport(machine, "mmio@0xfeb00000", new MemoryRegion(machine.mmio, BASE, WINDOW));
    const binder = new MmioInterruptBinder(router, { gsi: 40, levelTriggered: true, activeLow: false }, transport);
    expect(binder.bind({ queues: 1, onQueue: () => {}, onConfig: () => events.push("config") }, [0]).mode).toBe("polling");
    model.changeConfig(() => {});
    expect(router.dispatcher.dispatch()).toBe(0);
    expect(events).toEqual([]);
    assertNoViolations(machine.violations);
  });
});
