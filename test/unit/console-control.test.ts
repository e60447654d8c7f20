// The control protocol under change and under attack: ports hot-plugged and removed while running,
// and every malformed control message refused (counted, dropped) without stopping the device.
import { describe, expect, it } from "vitest";
import { ControlEvent } from "../../drivers/virtio/console/constants";
import { ConsoleControlError } from "../../drivers/virtio/console/errors";
import { CONTROL_BUFFER_BYTES, MAX_PORT_NAME_BYTES } from "../../drivers/virtio/console/limits";
import { assertNoViolations } from "../sim/violations";
import { VIRTIO_CONSOLE_QUEUE } from "../sim/virtio/spec/console";
import { bytes, consoleRig, readAll, text } from "./console-harness";

const MAX_PORTS = 4;

function message(id: number, event: number, value: number, payload: ArrayLike<number> = []): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, id, true);
  view.setUint16(4, event, true);
  view.setUint16(6, value, true);
  out.set(payload, 8);
  return out;
}

describe("virtio-console hot-plug", () => {
  it("adds a port the host plugs in at run time and removes it when unplugged", () => {
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [{ id: 0, console: true }] } });
    let changes = 0;
    rig.console.onPortsChanged = () => changes++;
    rig.model.addPort({ id: 2, name: "org.example.hot", hostConnected: true });
    rig.poll(3);
    const port = rig.console.findPort("org.example.hot");
    expect(port?.id).toBe(2);
    expect(port?.hostConnected).toBe(true);
    expect(changes).toBe(2);
    port!.open();
    rig.poll();
    rig.model.hostWrite(2, bytes("hot data"));
    rig.poll();
    let removed = 0;
    port!.onRemoved = () => removed++;
    rig.model.removePort(2);
    rig.poll();
    expect(removed).toBe(1);
    expect(port!.removed).toBe(true);
    expect(port!.readable).toBe(0);
    expect(() => port!.writeSome(bytes("late"))).toThrow(/port-removed/);
    expect(rig.console.findPort("org.example.hot")).toBeUndefined();
    assertNoViolations(rig.machine.violations);
  });

  it("takes a port added again under the same number as a new port, its buffers still posted", () => {
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [] }, limits: { rxBuffers: 8 } });
    rig.model.addPort({ id: 1, name: "first" });
    rig.poll(3);
    const first = rig.console.port(1)!;
    expect(rig.model.postedReceiveBuffers(1)).toBe(8);
    rig.model.removePort(1);
    rig.poll();
    rig.model.addPort({ id: 1, name: "second", hostConnected: true });
    rig.poll(3);
    const second = rig.console.port(1)!;
    expect(second).not.toBe(first);
    expect(second.name).toBe("second");
    // Not posted twice: the device kept the first ones.
    expect(rig.model.postedReceiveBuffers(1)).toBe(8);
    second.open();
    rig.poll();
    rig.model.hostWrite(1, bytes("again"));
    rig.poll();
    expect(text(readAll(second))).toBe("again");
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-console malformed control messages", () => {
  const name = (n: number) => new Uint8Array(n).fill(0x61);
  // What was wrong, the code, and the detail naming the offending field or value.
  const cases: [string, (id: number) => Uint8Array, string, string][] = [
    ["a message shorter than the header", () => new Uint8Array(7), "control-length", "7-byte control message"],
    ["an event the driver sends (DEVICE_READY)", (id) => message(id, ControlEvent.DeviceReady, 1), "control-event", "event 0 is not one a device sends"],
    ["an event the driver sends (PORT_READY)", (id) => message(id, ControlEvent.PortReady, 1), "control-event", "event 3 is not one a device sends"],
    ["an unknown event", (id) => message(id, 99, 0), "control-event", "event 99 is not one a device sends"],
    ["a port number at max_nr_ports", () => message(MAX_PORTS, ControlEvent.DeviceAdd, 1), "control-port", "event 1 for port 4, max_nr_ports is 4"],
    ["a port number far beyond it", () => message(0xffffffff, ControlEvent.PortOpen, 1), "control-port", "event 6 for port 4294967295, max_nr_ports is 4"],
    ["DEVICE_ADD for a port that exists", (id) => message(id, ControlEvent.DeviceAdd, 1), "port-exists", "DEVICE_ADD for port 1, which exists"],
    ["DEVICE_REMOVE for a port never added", () => message(2, ControlEvent.DeviceRemove, 1), "port-unknown", "event 2 for port 2, which was not added"],
    ["PORT_OPEN for a port never added", () => message(2, ControlEvent.PortOpen, 1), "port-unknown", "event 6 for port 2, which was not added"],
    ["PORT_OPEN with value 2", (id) => message(id, ControlEvent.PortOpen, 2), "control-value", "PORT_OPEN value 2"],
    ["PORT_OPEN with a payload", (id) => message(id, ControlEvent.PortOpen, 1, [1]), "control-length", "event 6 with 1 payload bytes"],
    ["RESIZE without its sizes", (id) => message(id, ControlEvent.Resize, 0, [80]), "control-length", "RESIZE with 1 payload bytes"],
    ["an empty name", (id) => message(id, ControlEvent.PortName, 1), "port-name", "empty name"],
    ["a name of a lone NUL", (id) => message(id, ControlEvent.PortName, 1, [0]), "port-name", "empty name"],
    ["a name with a NUL inside", (id) => message(id, ControlEvent.PortName, 1, [0x61, 0, 0x62]), "port-name", "NUL inside the name"],
    ["a name that is not UTF-8", (id) => message(id, ControlEvent.PortName, 1, [0xc3, 0x28]), "port-name", "name is not UTF-8"],
    ["a name beyond the limit", (id) => message(id, ControlEvent.PortName, 1, name(MAX_PORT_NAME_BYTES + 1)), "port-name", "256-byte name (at most 255)"],
    ["a message filling the whole buffer", (id) => message(id, ControlEvent.PortName, 1, name(CONTROL_BUFFER_BYTES - 8)), "control-length", "control message fills the 512-byte buffer (maybe cut short)"],
    ["a second name for a named port", (id) => message(id, ControlEvent.PortName, 1, bytes("other")), "port-name", 'port 1 is already named "named"'],
  ];

  for (const [what, build, code, detail] of cases) {
    it(`refuses ${what} (${code}) and goes on`, () => {
      const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [{ id: 1, name: "named", hostConnected: true }] } });
      const port = rig.console.port(1)!;
      rig.model.sendControl(build(1));
      rig.poll();
      expect(rig.console.counters.controlErrors).toBe(1);
      expect(rig.console.lastControlError).toBeInstanceOf(ConsoleControlError);
      expect(rig.console.lastControlError?.code).toBe(code);
      expect(rig.console.lastControlError?.detail).toBe(detail);
      expect(rig.console.lastControlError?.deviceName).toBe(rig.device.name);
      expect([port.name, port.hostConnected, port.removed]).toEqual(["named", true, false]);
      // The device still works: a port plugged in afterwards comes up.
      rig.model.addPort({ id: 3, name: "after" });
      rig.poll(3);
      expect(rig.console.findPort("after")?.id).toBe(3);
      assertNoViolations(rig.machine.violations);
    });
  }

  it("accepts a name with QEMU's trailing NUL and a name at the limit", () => {
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [{ id: 1 }, { id: 2 }] } });
    rig.model.sendControl(message(1, ControlEvent.PortName, 1, [...bytes("with-nul"), 0]));
    rig.model.sendControl(message(2, ControlEvent.PortName, 1, name(MAX_PORT_NAME_BYTES)));
    rig.poll();
    expect(rig.console.port(1)?.name).toBe("with-nul");
    expect(rig.console.port(2)?.name).toBe("a".repeat(MAX_PORT_NAME_BYTES));
    expect(rig.console.counters.controlErrors).toBe(0);
  });

  it("never reads an earlier message's bytes into one whose used length runs past what the device wrote", () => {
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [{ id: 1 }, { id: 2 }] }, limits: { controlBuffers: 1 } });
    rig.model.sendControl(message(1, ControlEvent.PortName, 1, bytes("abcdefgh")));
    rig.poll();
    expect(rig.console.port(1)?.name).toBe("abcdefgh");
    // The same (only) buffer again: "xy" written, five bytes more claimed.
    rig.model.faults.usedLengthExtra = 5;
    rig.model.sendControl(message(2, ControlEvent.PortName, 1, bytes("xy")));
    rig.poll();
    expect(rig.console.port(2)?.name).toBeUndefined();
    expect(rig.console.lastControlError?.code).toBe("port-name");
  });

  it("keeps the control buffers posted through a flood of garbage", () => {
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [] }, limits: { controlBuffers: 8 } });
    for (let i = 0; i < 100; i++) rig.model.sendControl(new Uint8Array(i % 12));
    rig.poll(20);
    // Shorter than the header, or (8 to 11 zero bytes) DEVICE_READY, which only the driver sends.
    expect(rig.console.counters.controlErrors).toBe(100);
    expect(rig.model.postedControlBuffers).toBe(8);
    assertNoViolations(rig.machine.violations);
  });

  it("takes at most its budget of control messages in one poll, however many the device has ready", () => {
    const budget = 16;
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [] }, limits: { controlBuffers: 8, budget } });
    const before = rig.console.counters.controlMessages;
    // A device that fills every re-posted buffer at once with the next message.
    for (let i = 0; i < 1000; i++) rig.model.sendControl(new Uint8Array(4));
    rig.poll();
    expect(rig.console.counters.controlMessages - before).toBe(budget);
    rig.poll(1000 / budget);
    expect(rig.console.counters.controlMessages - before).toBe(1000);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-console broken control rings", () => {
  it("stops cleanly when the control receive ring breaks in the same pass as a good message", () => {
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [{ id: 1, name: "p", hostConnected: true }] } });
    const broken: string[] = [];
    rig.console.onBroken = (error) => broken.push(error.code);
    rig.model.sendEvent(1, ControlEvent.PortOpen, 0);
    rig.model.faults.usedId = "out-of-range";
    rig.model.sendEvent(1, ControlEvent.PortOpen, 1);
    expect(() => rig.poll()).not.toThrow();
    expect(broken).toHaveLength(1);
    expect(rig.console.isStopped).toBe(true);
    expect(rig.device.state).toBe("ready");
  });

  it("stops cleanly when the control transmit ring breaks with a message waiting and a slot free", () => {
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [{ id: 1, name: "p", hostConnected: true }] }, limits: { controlSlots: 2 } });
    const port = rig.console.port(1)!;
    const broken: string[] = [];
    rig.console.onBroken = (error) => broken.push(error.code);
    rig.model.holdCompletions = true;
    port.open();
    rig.poll();
    rig.model.holdCompletions = false;
    rig.model.faults.usedId = "out-of-range";
    rig.model.releaseHeld(VIRTIO_CONSOLE_QUEUE.control_transmitq);
    // Waits for the next flush, which finds the ring broken.
    port.close();
    expect(() => rig.poll()).not.toThrow();
    expect(broken).toHaveLength(1);
    expect(rig.console.isStopped).toBe(true);
    expect(rig.device.state).toBe("ready");
  });
});

describe("virtio-console messages to the device", () => {
  it("keeps at most controlSlots messages in flight and controlBacklog waiting, counts what found the backlog full, and sends the rest in order", () => {
    const rig = consoleRig({ model: { maxPorts: MAX_PORTS, ports: [{ id: 1, name: "p", hostConnected: true }] }, limits: { controlSlots: 2, controlBacklog: 3 } });
    const port = rig.console.port(1)!;
    const sent = () => rig.model.fromDriver.filter((m) => m.event === ControlEvent.PortOpen && m.id === 1).map((m) => m.value);
    rig.model.holdCompletions = true;
    // Five messages before a poll: three wait, two find the backlog full.
    port.open();
    port.close();
    port.open();
    port.close();
    port.open();
    expect(rig.console.counters.controlDropped).toBe(2);
    rig.poll();
    // Two slots: two messages with the device, one still waiting.
    const transmitq = rig.model.queue(VIRTIO_CONSOLE_QUEUE.control_transmitq)!;
    expect(transmitq.held.length).toBe(2);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(VIRTIO_CONSOLE_QUEUE.control_transmitq);
    rig.poll();
    expect(sent()).toEqual([1, 0, 1]);
    // The backlog goes round: three more, all taken.
    port.close();
    port.open();
    port.close();
    rig.poll(2);
    expect(sent()).toEqual([1, 0, 1, 0, 1, 0]);
    expect(rig.console.counters.controlDropped).toBe(2);
    expect(rig.model.ports.get(1)?.guestOpen).toBe(false);
    assertNoViolations(rig.machine.violations);
  });
});
