// virtio-console run from an event loop: which source it takes (a wake source for interrupts, a
// poller otherwise), when it asks the loop for another turn (work left over a budget, a message for
// the device), and that an interrupt from the device wakes it.
import { describe, expect, it } from "vitest";
import type { ConsoleLoop, ConsoleLoopSource } from "../../drivers/virtio/console/console";
import { ControlEvent } from "../../drivers/virtio/console/constants";
import { assertNoViolations } from "../sim/violations";
import { consoleRig } from "./console-harness";

/** A loop that records what the driver asks of it; the test turns the driver itself. */
function recordingLoop() {
  const events: string[] = [];
  let wakes = 0;
  const source = (kind: string): ConsoleLoopSource => {
    events.push(kind);
    return {
      wake: () => void wakes++,
      ref: () => events.push("ref"),
      unref: () => events.push("unref"),
      close: () => events.push("close"),
    };
  };
  const loop: ConsoleLoop = {
    addPoller: () => source("poller"),
    addWakeSource: () => source("wake-source"),
  };
  return {
    loop,
    events,
    /** Wakes asked for since the last call. */
    takeWakes(): number {
      const n = wakes;
      wakes = 0;
      return n;
    },
  };
}

const ports = [{ id: 1, name: "p", hostConnected: true }];

describe("virtio-console on an event loop", () => {
  it("takes a wake source, unreferenced, when it has the device's interrupts, and an interrupt wakes it", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 2, ports }, loop: recorder.loop, router: true });
    expect(rig.console.interruptMode).not.toBe("polling");
    expect(recorder.events.slice(0, 2)).toEqual(["wake-source", "unref"]);
    recorder.takeWakes();
    rig.model.sendEvent(1, ControlEvent.PortOpen, 0);
    expect(recorder.takeWakes()).toBe(0);
    rig.router!.dispatcher.dispatch();
    expect(recorder.takeWakes()).toBeGreaterThan(0);
    rig.poll();
    expect(rig.console.port(1)?.hostConnected).toBe(false);
    assertNoViolations(rig.machine.violations);
  });

  it("keeps the machine running exactly while held: ref at the first hold, unref at the last release, a release too many ignored", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 2, ports }, loop: recorder.loop });
    const refs = () => recorder.events.slice(2);
    rig.console.release();
    expect(refs()).toEqual([]);
    rig.console.hold();
    expect(refs()).toEqual(["ref"]);
    rig.console.hold();
    rig.console.release();
    expect(refs()).toEqual(["ref"]);
    rig.console.release();
    expect(refs()).toEqual(["ref", "unref"]);
    rig.console.hold();
    expect(refs()).toEqual(["ref", "unref", "ref"]);
  });

  it("takes no interrupts without a loop to wake (whoever holds the console polls it), and still sees configuration changes", () => {
    const rig = consoleRig({ model: { multiport: false, size: { cols: 80, rows: 25 } }, router: true });
    expect(rig.console.interruptMode).toBe("polling");
    rig.model.resizeConfig(90, 30);
    rig.poll();
    expect([rig.console.port(0)?.cols, rig.console.port(0)?.rows]).toEqual([90, 30]);
  });

  it("polls instead when told not to take interrupts", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 2, ports }, loop: recorder.loop, router: true, interrupts: false });
    expect(rig.console.interruptMode).toBe("polling");
    expect(recorder.events.slice(0, 2)).toEqual(["poller", "unref"]);
  });

  it("asks for another turn when its control budget left messages waiting, and not once they are all taken", () => {
    const budget = 4;
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 2, ports: [] }, limits: { controlBuffers: 8, budget }, loop: recorder.loop });
    recorder.takeWakes();
    for (let i = 0; i < 6; i++) rig.model.sendEvent(1, ControlEvent.PortOpen, 1);
    rig.poll();
    expect(recorder.takeWakes()).toBe(1);
    rig.poll();
    expect(rig.console.counters.controlMessages).toBe(6);
    expect(recorder.takeWakes()).toBe(0);
    // Exactly the budget: nothing left, no further turn.
    for (let i = 0; i < budget; i++) rig.model.sendEvent(1, ControlEvent.PortOpen, 1);
    rig.poll();
    expect(rig.console.counters.controlMessages).toBe(6 + budget);
    expect(recorder.takeWakes()).toBe(0);
  });

  it("asks for another turn when a port's receive budget left used buffers waiting", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 2, ports }, limits: { rxBuffers: 4, rxBufferSize: 4 }, loop: recorder.loop });
    rig.console.port(1)!.open();
    rig.poll();
    recorder.takeWakes();
    // Every buffer comes back reported empty and goes straight back, to be used again at once.
    rig.model.faults.usedLengthExtra = -4;
    rig.model.hostWrite(1, new Uint8Array(12 * 4));
    rig.poll();
    expect(recorder.takeWakes()).toBe(1);
    rig.poll();
    expect(recorder.takeWakes()).toBe(1);
    rig.poll();
    expect(recorder.takeWakes()).toBe(0);
    expect(rig.console.port(1)?.readable).toBe(0);
  });

  it("asks for a turn when a port queues a message for the device, which the turn then sends", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 2, ports }, loop: recorder.loop });
    recorder.takeWakes();
    rig.console.port(1)!.open();
    expect(recorder.takeWakes()).toBe(1);
    expect(rig.model.ports.get(1)?.guestOpen).toBe(false);
    rig.poll();
    expect(rig.model.ports.get(1)?.guestOpen).toBe(true);
    // Already open: nothing to tell the device.
    rig.console.port(1)!.open();
    expect(recorder.takeWakes()).toBe(0);
  });

  it("runs the poll on the next turn when asked to wake, and closes its source once stopped", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 2, ports }, loop: recorder.loop });
    recorder.takeWakes();
    rig.console.wake();
    expect(recorder.takeWakes()).toBe(1);
    rig.device.detach();
    expect(recorder.events.at(-1)).toBe("close");
    expect(recorder.events.filter((e) => e === "close")).toHaveLength(1);
  });

  it("closes its source once when a ring breaks and the device is then reset", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 2, ports }, loop: recorder.loop });
    rig.model.faults.usedId = "out-of-range";
    rig.model.sendEvent(1, ControlEvent.PortOpen, 0);
    rig.poll();
    expect(rig.console.isStopped).toBe(true);
    rig.model.faults.usedId = "ok";
    rig.console.reset();
    expect(recorder.events.filter((e) => e === "close")).toHaveLength(1);
  });
});
