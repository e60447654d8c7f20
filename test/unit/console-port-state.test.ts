// A port's state as the device reports it and as this side uses it: events that repeat the state
// change nothing, values the specification leaves unused are ignored, a removed port refuses use and
// drops what it held, the console's own lifecycle (detach, reset) tells and refuses what it must.
import { describe, expect, it } from "vitest";
import { ConsoleQueue, ControlEvent } from "../../drivers/virtio/console/constants";
import { ConsolePortError } from "../../drivers/virtio/console/errors";
import { VirtioUsageError } from "../../drivers/virtio/errors";
import { assertNoViolations } from "../sim/violations";
import { bytes, consoleRig, readAll, text } from "./console-harness";

const ports = [{ id: 0, console: true }, { id: 1, name: "p", hostConnected: true }];

describe("virtio-console port state", () => {
  it("tells a host connection change once: a PORT_OPEN repeating the state changes nothing", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    const port = rig.console.port(1)!;
    const seen: boolean[] = [];
    port.onHostConnected = (connected) => seen.push(connected);
    rig.model.sendEvent(1, ControlEvent.PortOpen, 1);
    rig.poll();
    rig.model.sendEvent(1, ControlEvent.PortOpen, 0);
    rig.model.sendEvent(1, ControlEvent.PortOpen, 0);
    rig.poll();
    expect(seen).toEqual([false]);
    expect(port.hostConnected).toBe(false);
  });

  it("tells a size change once: a RESIZE to the current size changes nothing, one changing either side does", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    const port = rig.console.port(0)!;
    let resized = 0;
    port.onResize = () => resized++;
    rig.model.resize(0, 80, 24);
    rig.model.resize(0, 80, 24);
    rig.poll();
    expect([port.cols, port.rows, resized]).toEqual([80, 24, 1]);
    rig.model.resize(0, 80, 25);
    rig.poll();
    rig.model.resize(0, 81, 25);
    rig.poll();
    expect([port.cols, port.rows, resized]).toEqual([81, 25, 3]);
  });

  it("ignores the value of events whose value the specification leaves unused", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    rig.model.sendControl(Uint8Array.of(0, 0, 0, 0, ControlEvent.Resize, 0, 7, 0, 100, 0, 40, 0));
    rig.model.sendEvent(2, ControlEvent.DeviceAdd, 9);
    rig.poll(2);
    expect(rig.console.counters.controlErrors).toBe(0);
    expect([rig.console.port(0)?.cols, rig.console.port(0)?.rows]).toEqual([100, 40]);
    expect(rig.console.port(2)).toBeDefined();
  });

  it("tells onPortsChanged of every port added, named, nominated console or removed, and of nothing else", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    let changes = 0;
    rig.console.onPortsChanged = () => changes++;
    rig.model.sendEvent(1, ControlEvent.PortOpen, 0);
    rig.model.resize(1, 10, 10);
    rig.poll();
    expect(changes).toBe(0);
    rig.model.addPort({ id: 2, console: true });
    rig.poll();
    expect(changes).toBe(1);
    rig.poll();
    expect(changes).toBe(2);
    rig.model.sendControl(Uint8Array.of(2, 0, 0, 0, ControlEvent.PortName, 0, 1, 0, 0x71));
    rig.poll();
    expect(changes).toBe(3);
    rig.model.removePort(2);
    rig.poll();
    expect(changes).toBe(4);
    expect(rig.console.ports.map((p) => p.id)).toEqual([0, 1]);
    rig.device.detach();
    expect(changes).toBe(5);
  });

  it("a removed port reads and writes nothing, refuses to open or close, and gives back what it held", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports }, limits: { rxBuffers: 4, rxBufferSize: 64 } });
    const port = rig.console.port(1)!;
    port.open();
    rig.poll();
    rig.model.hostWrite(1, bytes("x".repeat(200)));
    rig.poll();
    expect(port.readable).toBe(200);
    expect(rig.model.postedReceiveBuffers(1)).toBe(0);
    expect(port.writable).toBeGreaterThan(0);
    rig.model.removePort(1);
    rig.poll();
    expect([port.removed, port.hostConnected, port.guestOpen]).toEqual([true, false, false]);
    expect([port.readable, port.writable, port.readInto(new Uint8Array(16)), port.reclaim()]).toEqual([0, 0, 0, 0]);
    // The unread bytes were dropped and every receive buffer went back to the device.
    expect(rig.model.postedReceiveBuffers(1)).toBe(4);
    for (const use of [() => port.open(), () => port.close(), () => port.writeSome(bytes("late"))]) {
      let thrown: unknown;
      try {
        use();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConsolePortError);
      expect(thrown).toMatchObject({ code: "port-removed", detail: "port 1 was removed", deviceName: rig.device.name });
    }
    // Added again, the port starts empty.
    rig.model.addPort({ id: 1, name: "again", hostConnected: true });
    rig.poll(3);
    const again = rig.console.port(1)!;
    again.open();
    rig.poll();
    rig.model.hostWrite(1, bytes("new"));
    rig.poll();
    expect(text(readAll(again))).toBe("new");
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-console callbacks that throw", () => {
  it("lets an exception from a port callback leave the poll, not counted as a malformed message, with the control buffer posted again", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    const posted = rig.model.postedControlBuffers;
    const port = rig.console.port(1)!;
    port.onHostConnected = () => {
      throw new Error("user bug");
    };
    rig.model.sendEvent(1, ControlEvent.PortOpen, 0);
    const controlReceiveq = rig.model.queues[ConsoleQueue.ControlReceive];
    const notified = controlReceiveq.notifications;
    expect(() => rig.poll()).toThrow("user bug");
    expect(rig.console.counters.controlErrors).toBe(0);
    // The re-posted buffer was made known to the device before the exception left the poll.
    expect(controlReceiveq.notifications).toBe(notified + 1);
    // The device goes on, with every control buffer back.
    port.onHostConnected = undefined;
    rig.model.sendEvent(1, ControlEvent.PortOpen, 1);
    rig.poll();
    expect(port.hostConnected).toBe(true);
    expect(rig.model.postedControlBuffers).toBe(posted);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-console lifecycle hooks", () => {
  it("takes no configuration change once stopped", () => {
    const rig = consoleRig({ model: { multiport: false, size: { cols: 80, rows: 25 } } });
    const port = rig.console.port(0)!;
    rig.device.detach();
    rig.model.resizeConfig(100, 50);
    rig.console.configChanged();
    expect([port.cols, port.rows]).toEqual([80, 25]);
  });

  it("reads no size at a configuration change without SIZE", () => {
    const rig = consoleRig({ model: { multiport: false } });
    rig.model.resizeConfig(100, 50);
    rig.console.configChanged();
    expect([rig.console.port(0)?.cols, rig.console.port(0)?.rows]).toEqual([0, 0]);
  });

  it("refuses a reset through an instance the device no longer runs", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    // The old instance calls no hook once reset, not even for the ports it loses on the way.
    let hooks = 0;
    rig.console.onPortsChanged = () => hooks++;
    rig.console.onBroken = () => hooks++;
    const fresh = rig.console.reset();
    expect(hooks).toBe(0);
    expect(fresh).not.toBe(rig.console);
    expect(rig.console.isStopped).toBe(true);
    let thrown: unknown;
    try {
      rig.console.reset();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VirtioUsageError);
    expect(thrown).toMatchObject({ code: "reset", detail: "this driver instance no longer serves the device" });
    for (let i = 0; i < 3; i++) fresh.poll();
    expect(fresh.ports.map((p) => p.id)).toEqual([0, 1]);
    assertNoViolations(rig.machine.violations);
  });

  it("throws the device's error when the device does not come back from a reset", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    rig.model.faults.refuseFeaturesOk = true;
    let thrown: unknown;
    try {
      rig.console.reset();
    } catch (error) {
      thrown = error;
    }
    expect(rig.device.state).toBe("failed");
    expect(thrown).toBeDefined();
    expect(thrown).toBe(rig.device.error);
  });
});
