// virtio-console against the simulated device: the single-port device, the multiport control
// protocol (DEVICE_READY, DEVICE_ADD, PORT_READY, PORT_NAME, CONSOLE_PORT, PORT_OPEN), data both
// ways on each port, and both interfaces and ring layouts.
import { describe, expect, it } from "vitest";
import type { ConsoleLoop, VirtioConsole } from "../../drivers/virtio/console/console";
import { ControlEvent } from "../../drivers/virtio/console/constants";
import { createVirtioConsoleDriver } from "../../drivers/virtio/console/driver";
import { assertNoViolations } from "../sim/violations";
import type { ConsoleModel } from "../sim/virtio/console-model";
import { VIRTIO_CONSOLE_F, VIRTIO_CONSOLE_QUEUE, virtio_console_config } from "../sim/virtio/spec/console";
import { VIRTIO_DEVICE_ID } from "../sim/virtio/spec/device-ids";
import { featureMask } from "../sim/virtio/spec/feature-bits";
import { bytes, consoleRig, openConsoleDevice, readAll, text } from "./console-harness";

describe("virtio-console, single port", () => {
  it("brings port 0 up at once as an open console and moves bytes both ways", () => {
    const rig = consoleRig({ model: { multiport: false } });
    expect(rig.console.multiport).toBe(false);
    const port = rig.console.port(0);
    expect(port).toBeDefined();
    expect(port?.isConsole).toBe(true);
    expect(port?.hostConnected).toBe(true);
    expect(port?.writeSome(bytes("hello host"))).toBe(10);
    expect(text(rig.model.ports.get(0)?.receivedBytes ?? [])).toBe("hello host");
    rig.model.hostWrite(0, bytes("hello guest"));
    rig.poll();
    expect(text(readAll(port!))).toBe("hello guest");
    expect(rig.model.fromDriver).toEqual([]);
    assertNoViolations(rig.machine.violations);
  });

  it("polled, looks at the configuration at most once per interval (10 ms by default)", () => {
    const rig = consoleRig({ model: { multiport: false, size: { cols: 80, rows: 25 } }, configPollIntervalNs: null });
    const port = rig.console.port(0)!;
    rig.model.resizeConfig(132, 43);
    rig.poll(5);
    expect([port.cols, port.rows]).toEqual([80, 25]);
    const start = rig.machine.monotonicNs();
    while (port.cols === 80 && rig.machine.monotonicNs() - start < 20_000_000) rig.poll();
    expect([port.cols, port.rows]).toEqual([132, 43]);
  });

  it("has nothing to tell the device when port 0 is opened or closed without MULTIPORT", () => {
    const rig = consoleRig({ model: { multiport: false } });
    const port = rig.console.port(0)!;
    port.close();
    port.open();
    port.close();
    rig.poll();
    expect(port.guestOpen).toBe(true);
    expect(rig.model.fromDriver).toEqual([]);
    expect(rig.console.name).toBe(rig.device.name);
    assertNoViolations(rig.machine.violations);
  });

  it("reads no size without SIZE, whatever the configuration holds (the fields are valid only with it)", () => {
    const rig = consoleRig({
      model: { multiport: false },
      prepare: (model) => {
        const view = new DataView(model.config.buffer);
        view.setUint16(virtio_console_config.cols.offset, 80, true);
        view.setUint16(virtio_console_config.rows.offset, 25, true);
      },
    });
    expect([rig.console.port(0)?.cols, rig.console.port(0)?.rows]).toEqual([0, 0]);
  });

  it("reads the console size with SIZE and follows configuration changes", () => {
    const rig = consoleRig({ model: { multiport: false, size: { cols: 80, rows: 25 } } });
    const port = rig.console.port(0)!;
    expect([port.cols, port.rows]).toEqual([80, 25]);
    let resized = 0;
    port.onResize = () => resized++;
    rig.model.resizeConfig(132, 43);
    rig.poll();
    expect([port.cols, port.rows, resized]).toEqual([132, 43, 1]);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-console, multiport", () => {
  const ports = [
    { id: 0, console: true, hostConnected: true },
    { id: 1, name: "org.example.control", hostConnected: true },
    { id: 3, name: "org.example.log" },
  ];

  it("sends DEVICE_READY with control buffers posted, readies every added port and learns names and states", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    expect(rig.model.deviceReady).toBe(true);
    expect(rig.model.postedControlBuffers).toBeGreaterThan(0);
    const ready = rig.model.fromDriver.filter((m) => m.event === ControlEvent.PortReady);
    expect(ready.map((m) => [m.id, m.value])).toEqual([[0, 1], [1, 1], [3, 1]]);
    const console = rig.console;
    expect(console.ports.map((p) => p.id)).toEqual([0, 1, 3]);
    expect(console.consolePort?.id).toBe(0);
    expect(console.findPort("org.example.control")?.hostConnected).toBe(true);
    expect(console.findPort("org.example.log")?.hostConnected).toBe(false);
    // CONSOLE_PORT is answered with PORT_OPEN 1.
    expect(console.port(0)?.guestOpen).toBe(true);
    rig.model.checkConsoleOpens();
    expect(console.counters.controlErrors).toBe(0);
    assertNoViolations(rig.machine.violations);
  });

  it("delivers host bytes once this side opened the port, and sends on it", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    const port = rig.console.findPort("org.example.control")!;
    rig.model.hostWrite(1, bytes("before open"));
    rig.poll();
    expect(port.readable).toBe(0);
    port.open();
    rig.poll(2);
    expect(rig.model.ports.get(1)?.guestOpen).toBe(true);
    expect(text(readAll(port))).toBe("before open");
    port.writeSome(bytes("reply"));
    expect(text(rig.model.ports.get(1)?.receivedBytes ?? [])).toBe("reply");
    port.close();
    rig.poll();
    expect(rig.model.ports.get(1)?.guestOpen).toBe(false);
    assertNoViolations(rig.machine.violations);
  });

  it("sees the host connect and disconnect as PORT_OPEN", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    const port = rig.console.findPort("org.example.log")!;
    const seen: boolean[] = [];
    port.onHostConnected = (connected) => seen.push(connected);
    rig.model.setHostConnected(3, true);
    rig.poll();
    rig.model.setHostConnected(3, false);
    rig.poll();
    expect(seen).toEqual([true, false]);
    expect(port.hostConnected).toBe(false);
  });

  it("takes RESIZE for a port", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports } });
    const port = rig.console.port(0)!;
    rig.model.resize(0, 100, 30);
    rig.poll();
    expect([port.cols, port.rows]).toEqual([100, 30]);
  });

  for (const layout of ["legacy", "transitional"] as const) {
    it(`runs the control protocol over the ${layout} interface`, () => {
      const rig = consoleRig({ layout, model: { maxPorts: 4, ports } });
      expect(rig.console.ports.map((p) => p.name ?? "")).toEqual(["", "org.example.control", "org.example.log"]);
      const port = rig.console.port(1)!;
      port.open();
      rig.poll();
      rig.model.hostWrite(1, bytes("x".repeat(10_000)));
      rig.poll();
      expect(readAll(port).length).toBe(10_000);
      assertNoViolations(rig.machine.violations);
    });
  }

  it("runs on packed rings when the device offers them", () => {
    const rig = consoleRig({ ring: { packed: true }, model: { maxPorts: 4, ports } });
    expect(rig.device.ringLayout).toBe("packed");
    const port = rig.console.port(1)!;
    port.open();
    rig.poll();
    rig.model.hostWrite(1, bytes("packed"));
    rig.poll();
    expect(text(readAll(port))).toBe("packed");
    assertNoViolations(rig.machine.violations);
  });

  it("adds every port of a device that drops messages without a posted buffer (as QEMU does)", () => {
    const many = Array.from({ length: 31 }, (_, id) => ({ id, name: `port${id}`, hostConnected: true }));
    const rig = consoleRig({ model: { maxPorts: 31, ports: many, dropControlWithoutBuffer: true }, limits: { controlBuffers: 32 } });
    rig.poll(4);
    expect(rig.model.controlDropped).toBe(0);
    expect(rig.console.ports.length).toBe(31);
    expect(rig.console.ports.every((p) => p.name === `port${p.id}` && p.hostConnected)).toBe(true);
    assertNoViolations(rig.machine.violations);
  });

  it("sends DEVICE_READY when it starts, before any poll", () => {
    const { model } = openConsoleDevice({ model: { maxPorts: 4, ports } });
    expect(model.deviceReady).toBe(true);
    expect(model.fromDriver.map((m) => [m.id, m.event, m.value])).toEqual([[0, ControlEvent.DeviceReady, 1]]);
  });

  it("runs a multiport device of a single port", () => {
    const rig = consoleRig({ model: { maxPorts: 1, ports: [{ id: 0, name: "only", hostConnected: true }] } });
    expect([rig.console.maxPorts, rig.console.portLimit]).toEqual([1, 1]);
    expect(rig.console.findPort("only")?.id).toBe(0);
    assertNoViolations(rig.machine.violations);
  });

  it("takes a configuration change with SIZE while port 0 is not added", () => {
    const rig = consoleRig({ model: { maxPorts: 4, size: { cols: 80, rows: 25 }, ports: [{ id: 1, name: "p" }] } });
    rig.model.resizeConfig(100, 30);
    expect(() => rig.poll()).not.toThrow();
    // The change was taken without an error: no port 0 to resize is not a failure.
    expect([rig.device.configChanges > 0, rig.device.configErrors, rig.device.lastConfigError]).toEqual([true, 0, undefined]);
    expect(rig.console.port(0)).toBeUndefined();
    expect(rig.console.port(1)?.cols).toBe(0);
  });

  it("refuses ports beyond what it serves with PORT_READY 0", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports: [{ id: 0 }, { id: 2 }, { id: 3 }] }, limits: { maxPorts: 2 } });
    expect(rig.console.portLimit).toBe(2);
    expect(rig.console.ports.map((p) => p.id)).toEqual([0]);
    expect(rig.console.counters.portsRefused).toBe(2);
    expect(rig.model.ports.get(2)?.readyValue).toBe(0);
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-console configuration", () => {
  const announce = (ports: number) => (model: ConsoleModel) =>
    new DataView(model.config.buffer).setUint32(virtio_console_config.max_nr_ports.offset, ports, true);

  it("fails a device that announces 0 ports", () => {
    const { device } = openConsoleDevice({ model: { maxPorts: 4 }, prepare: announce(0) });
    expect(device.state).toBe("failed");
    expect(device.error?.code).toBe("max_nr_ports");
    expect(device.error?.detail).toBe("0 ports");
  });

  it("fails a device that announces more ports than it has queues for", () => {
    const { device, machine } = openConsoleDevice({ model: { maxPorts: 4 }, prepare: announce(5) });
    expect(device.state).toBe("failed");
    expect(device.error?.code).toBe("max_nr_ports");
    expect(device.error?.detail).toBe("5 ports need 12 queues; the device has 10");
    expect(device.platform.dmaRegions).toBe(0);
    assertNoViolations(machine.violations);
  });
});

describe("virtio-console lifecycle", () => {
  it("runs from a loop poller that keeps the machine alive only while held, and lets go at detach", () => {
    const { machine, device } = openConsoleDevice({ model: { maxPorts: 4, ports: [{ id: 1, name: "p" }] } });
    const events: string[] = [];
    let poll: (() => void) | undefined;
    const loop: ConsoleLoop = {
      addPoller: (callback) => {
        poll = callback;
        return { wake: () => events.push("wake"), ref: () => events.push("ref"), unref: () => events.push("unref"), close: () => events.push("close") };
      },
      addWakeSource: () => {
        throw new Error("a polled device takes no wake source");
      },
    };
    device.detach();
    expect(device.claim(createVirtioConsoleDriver({ loop, configPollIntervalNs: 0 }))).toBe(true);
    const console = device.instance as VirtioConsole;
    expect(console.interruptMode).toBe("polling");
    expect(events).toEqual(["unref", "wake"]);
    for (let i = 0; i < 3; i++) poll?.();
    expect(console.findPort("p")?.id).toBe(1);
    console.hold();
    console.hold();
    console.release();
    console.release();
    console.release();
    expect(events.slice(2).filter((e) => e !== "wake")).toEqual(["ref", "unref"]);
    device.detach();
    expect(events.at(-1)).toBe("close");
    expect(console.isStopped).toBe(true);
    expect(device.platform.dmaRegions).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("frees everything at detach and works again when claimed anew", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports: [{ id: 1, name: "again", hostConnected: true }] } });
    const first = rig.console.port(1)!;
    rig.device.detach();
    expect(first.removed).toBe(true);
    expect(rig.device.platform.dmaRegions).toBe(0);
    // A poll of the detached instance touches nothing.
    expect(() => rig.console.poll()).not.toThrow();
    expect(rig.device.claim(createVirtioConsoleDriver({ configPollIntervalNs: 0 }))).toBe(true);
    const console = rig.device.instance as VirtioConsole;
    for (let i = 0; i < 3; i++) console.poll();
    const port = console.findPort("again")!;
    port.open();
    console.poll();
    rig.model.hostWrite(1, bytes("fresh"));
    console.poll();
    expect(text(readAll(port))).toBe("fresh");
    assertNoViolations(rig.machine.violations);
  });
});

describe("virtio-console bounds", () => {
  it("sizes each ring to the smallest power of two holding the larger of its two buffer counts, and posts what the limits say", () => {
    const rig = consoleRig({
      model: { maxPorts: 4, ports: [{ id: 1, name: "p", hostConnected: true }] },
      limits: { rxBuffers: 3, txBuffers: 8, txBufferSize: 100, controlBuffers: 3, controlSlots: 6 },
    });
    expect(rig.model.queue(VIRTIO_CONSOLE_QUEUE.receiveq_port1)?.size).toBe(8);
    expect(rig.model.queue(VIRTIO_CONSOLE_QUEUE.receiveq_port1 + 1)?.size).toBe(8);
    expect(rig.model.queue(VIRTIO_CONSOLE_QUEUE.control_receiveq)?.size).toBe(8);
    expect(rig.model.queue(VIRTIO_CONSOLE_QUEUE.control_transmitq)?.size).toBe(8);
    expect(rig.model.postedReceiveBuffers(1)).toBe(3);
    expect(rig.model.postedControlBuffers).toBe(3);
    expect(rig.console.port(1)?.writable).toBe(8 * 100);
    const defaults = consoleRig({ model: { maxPorts: 4, ports: [{ id: 1 }] } });
    expect(defaults.model.queue(VIRTIO_CONSOLE_QUEUE.receiveq_port1)?.size).toBe(16);
    expect(defaults.model.queue(VIRTIO_CONSOLE_QUEUE.control_receiveq)?.size).toBe(32);
    expect(defaults.model.queue(VIRTIO_CONSOLE_QUEUE.control_transmitq)?.size).toBe(32);
    expect(defaults.model.postedControlBuffers).toBe(32);
    expect(defaults.model.postedReceiveBuffers(1)).toBe(16);
  });
});

describe("virtio-console driver registration", () => {
  it("is named virtio-console, claims device type 3 and asks for SIZE, MULTIPORT and EMERG_WRITE", () => {
    const driver = createVirtioConsoleDriver();
    expect(driver.name).toBe("virtio-console");
    expect(driver.type).toBe(VIRTIO_DEVICE_ID.console);
    expect(driver.features).toBe(featureMask([VIRTIO_CONSOLE_F.SIZE, VIRTIO_CONSOLE_F.MULTIPORT, VIRTIO_CONSOLE_F.EMERG_WRITE]));
  });
});
