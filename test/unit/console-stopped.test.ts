// A console that stopped (detached, or a ring broke) asks nothing more of the device or the loop:
// no message to the device, no wake of the closed loop source, no hook for ports it did not have.
// And a console without control queues has no message to send.
import { describe, expect, it } from "vitest";
import type { ConsoleLoop, ConsoleLoopSource } from "../../drivers/virtio/console/console";
import { ControlEvent, ControlValue } from "../../drivers/virtio/console/constants";
import { assertNoViolations } from "../sim/violations";
import { consoleRig } from "./console-harness";

/** A loop source that records every call, in order. */
function recordingLoop(): { loop: ConsoleLoop; events: string[] } {
  const events: string[] = [];
  const source = (): ConsoleLoopSource => ({
    wake: () => void events.push("wake"),
    ref: () => events.push("ref"),
    unref: () => events.push("unref"),
    close: () => events.push("close"),
  });
  return { loop: { addPoller: source, addWakeSource: source }, events };
}

describe("virtio-console once stopped", () => {
  it("calls no onPortsChanged at a detach when the device had added no port", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports: [] } });
    let changes = 0;
    rig.console.onPortsChanged = () => changes++;
    rig.device.detach();
    expect(rig.console.isStopped).toBe(true);
    expect(changes).toBe(0);
  });

  it("sends nothing and wakes no closed source when a port is opened from another port's onRemoved while stopping", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { maxPorts: 3, ports: [{ id: 1 }, { id: 2 }] }, loop: recorder.loop });
    const [first, second] = rig.console.ports;
    expect(second.guestOpen).toBe(false);
    const sent = rig.model.fromDriver.length;
    first.onRemoved = () => second.open();
    rig.device.detach();
    // The source was closed first; nothing may use it afterwards.
    const closedAt = recorder.events.indexOf("close");
    expect(closedAt).toBeGreaterThanOrEqual(0);
    expect(recorder.events.slice(closedAt)).toEqual(["close"]);
    expect(second.removed).toBe(true);
    expect(second.guestOpen).toBe(false);
    expect(rig.model.fromDriver.length).toBe(sent);
  });

  it("sends the device nothing more once a ring broke in the poll, not even what the poll had queued", () => {
    const rig = consoleRig({ model: { maxPorts: 3, ports: [{ id: 1, hostConnected: true }] } });
    const port = rig.console.port(1)!;
    port.open();
    rig.poll();
    const sent = rig.model.fromDriver.length;
    // Port 1's data comes back under an impossible id; then the device adds port 2.
    rig.model.faults.usedId = "out-of-range";
    rig.model.hostWrite(1, new Uint8Array([1, 2, 3]));
    rig.model.faults.usedId = "ok";
    rig.model.addPort({ id: 2 });
    let broken = 0;
    rig.console.onBroken = () => broken++;
    rig.poll();
    expect(broken).toBe(1);
    expect(rig.console.isStopped).toBe(true);
    // PORT_READY for port 2 was queued before the ring broke: it stays unsent.
    expect(rig.model.fromDriver.slice(sent)).toEqual([]);
    expect(rig.device.state).toBe("ready");
  });

  it("lets a port whose receive ring broke be read from another port's onRemoved while stopping, and stays ready", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports: [{ id: 0, console: true }, { id: 1, hostConnected: true }] }, limits: { rxBuffers: 4, rxBufferSize: 16 } });
    const [first, second] = rig.console.ports;
    second.open();
    rig.poll();
    rig.model.hostWrite(1, new TextEncoder().encode("held"));
    rig.poll();
    expect(second.readable).toBe(4);
    // More bytes come back under an impossible id: port 1's receive ring breaks with "held" unread.
    rig.model.faults.usedId = "out-of-range";
    rig.model.hostWrite(1, new TextEncoder().encode("more"));
    rig.model.faults.usedId = "ok";
    const read: number[] = [];
    first.onRemoved = () => read.push(second.readInto(new Uint8Array(16)));
    rig.console.onBroken = () => {};
    expect(() => rig.poll()).not.toThrow();
    expect(read).toEqual([4]);
    expect(second.removed).toBe(true);
    expect(rig.device.state).toBe("ready");
  });

  it("has no control queue to send on without MULTIPORT: sendControl does nothing", () => {
    const recorder = recordingLoop();
    const rig = consoleRig({ model: { multiport: false }, loop: recorder.loop });
    const before = recorder.events.length;
    expect(() => rig.console.sendControl(0, ControlEvent.PortOpen, ControlValue.Open)).not.toThrow();
    expect(recorder.events.length).toBe(before);
    expect(rig.console.counters.controlDropped).toBe(0);
    rig.poll();
    expect(rig.model.fromDriver).toEqual([]);
    assertNoViolations(rig.machine.violations);
  });
});
