import { describe, expect, it } from "vitest";
import { claimVirtioDevice, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { VirtioRng, virtioRngDriver } from "../../drivers/virtio/rng/rng";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { echoRig, submit, takeAll } from "./virtio-interrupts-harness";

const BURST = 8;

describe("virtqueue drain", () => {
  it("does not lose a completion that lands after the last look and before the re-enable", () => {
    for (const eventIdx of [false, true]) {
      const { machine, router, devices } = echoRig([{ queues: 1, eventIdx }]);
      const [{ model, instance }] = devices;
      const queue = instance.queues[0];
      submit(machine, queue, 1);
      model.holdCompletions = true;
      submit(machine, queue, 2);
      router.dispatcher.dispatch();
      const taken: number[] = [];
      let landed = false;
      const before = model.queues[0].interrupts;
      queue.drain(() => {
        const count = queue.poll((token) => taken.push(token));
        if (!landed) {
          // The device completes exactly here: interrupts are still off, so none is raised for it.
          landed = true;
          model.releaseHeld(0);
        }
        return count;
      });
      expect(taken).toEqual([1, 2]);
      expect(model.queues[0].interrupts).toBe(before);
      expect(machine.apic.hasPending).toBe(false);
      assertNoViolations(machine.violations);
    }
  });

  it("does not lose a completion that lands while a pass finds nothing (a wake for buffers already taken)", () => {
    for (const eventIdx of [false, true]) {
      const { machine, devices } = echoRig([{ queues: 1, eventIdx }]);
      const [{ model, instance }] = devices;
      const queue = instance.queues[0];
      model.holdCompletions = true;
      submit(machine, queue, 1);
      const taken: number[] = [];
      let passes = 0;
      queue.drain(() => {
        passes++;
        const count = queue.poll((token) => taken.push(token));
        // Nothing had come back when this pass looked; the device completes before the re-enable.
        if (passes === 1) model.releaseHeld(0);
        return count;
      });
      expect(taken).toEqual([1]);
      expect(queue.hasCompletions()).toBe(false);
      assertNoViolations(machine.violations);
    }
  });

  it("a consumer that refuses waiting buffers (back-pressure) ends the drain with interrupts on", () => {
    const { machine, devices } = echoRig([{ queues: 1, eventIdx: false }]);
    const [{ model, instance }] = devices;
    const queue = instance.queues[0];
    model.holdCompletions = true;
    submit(machine, queue, 1);
    model.releaseHeld(0);
    let passes = 0;
    expect(queue.drain(() => (passes++, 0))).toBe(0);
    expect(passes).toBe(2);
    expect(queue.hasCompletions()).toBe(true);
    expect(takeAll(queue)).toEqual([1]);
    assertNoViolations(machine.violations);
  });

  it("a drain without the re-check would strand that completion with no interrupt to come", () => {
    const { machine, devices } = echoRig([{ queues: 1, eventIdx: false }]);
    const [{ model, instance }] = devices;
    const queue = instance.queues[0];
    model.holdCompletions = true;
    submit(machine, queue, 1);
    queue.disableInterrupts();
    takeAll(queue);
    model.releaseHeld(0);
    queue.enableInterrupts();
    expect(queue.hasCompletions()).toBe(true);
    expect(machine.apic.hasPending).toBe(false);
  });

  it("suppresses interrupts while a burst is drained and counts them", () => {
    const { machine, router, devices } = echoRig([{ queues: 1, eventIdx: false }]);
    const [{ model, pci, instance }] = devices;
    const queue = instance.queues[0];
    submit(machine, queue, 0);
    model.holdCompletions = true;
    for (let i = 1; i < BURST; i++) submit(machine, queue, i);
    router.dispatcher.dispatch();
    const taken: number[] = [];
    queue.drain(() => {
      const count = queue.poll((token) => taken.push(token));
      // The rest of the burst completes while the driver is still draining.
      if (model.queues[0].held.length > 0) model.releaseHeld(0);
      return count;
    });
    expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(model.queues[0].interrupts).toBe(1);
    expect(model.queues[0].suppressed).toBe(BURST - 1);
    expect(pci.msix?.sent[1]).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("with EVENT_IDX, one interrupt per used_event crossing instead of one per buffer", () => {
    const counts = [false, true].map((eventIdx) => {
      const { machine, devices } = echoRig([{ queues: 1, eventIdx }]);
      const [{ model, instance }] = devices;
      const queue = instance.queues[0];
      model.holdCompletions = true;
      for (let i = 0; i < BURST; i++) submit(machine, queue, i);
      model.releaseHeld(0);
      const first = model.queues[0].interrupts;
      queue.drain(() => takeAll(queue).length);
      for (let i = 0; i < BURST; i++) submit(machine, queue, i);
      model.releaseHeld(0);
      assertNoViolations(machine.violations);
      return [first, model.queues[0].interrupts];
    });
    expect(counts[0]).toEqual([BURST, 2 * BURST]);
    expect(counts[1]).toEqual([1, 2]);
  });
});

function rngMachine(options: { msixVectors?: number; router?: boolean }) {
  const machine = new SimMachine();
  const model = new RngModel(machine.memory, machine.violations);
  addVirtioPci(machine, model, { device: 3, layout: "modern", msixVectors: options.msixVectors });
  const config = new PortPciConfig(machine.ports);
  const router = new InterruptRouter(machine, config, machine);
  const interrupts = options.router === false ? undefined : router;
  const [probed] = probeVirtioPci(machine, config, enumeratePci(config), new VirtioDriverRegistry(), { interrupts }).devices;
  claimVirtioDevice(probed, virtioRngDriver);
  return { machine, model, router, rng: probed.instance as VirtioRng, device: probed.device! };
}

describe("virtio-rng refill by interrupt", () => {
  for (const [mode, msixVectors] of [["msix", 2], ["intx", 0]] as const) {
    it(`fills the pool from ${mode} interrupts without being asked`, () => {
      const { machine, router, rng, device } = rngMachine({ msixVectors });
      expect(rng.interruptMode).toBe(mode);
      expect(rng.available).toBe(0);
      for (let turn = 0; turn < 4; turn++) router.dispatcher.dispatch();
      expect(rng.available).toBe(1024);
      expect(device.interruptStats!.interrupts).toBeGreaterThanOrEqual(2);
      rng.getRandomValues(new Uint8Array(512));
      router.dispatcher.dispatch();
      expect(rng.available).toBe(1024);
      assertNoViolations(machine.violations);
    });
  }

  it("polls, and is never interrupted, without a router", () => {
    const { machine, rng } = rngMachine({ router: false });
    expect(rng.interruptMode).toBe("polling");
    expect(rng.getRandomValues(new Uint8Array(2000)).some((b) => b !== 0)).toBe(true);
    expect(machine.apic.delivered.size).toBe(0);
    assertNoViolations(machine.violations);
  });
});
