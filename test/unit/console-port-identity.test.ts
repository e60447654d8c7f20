// Which port is which: with MULTIPORT only the port the device nominates (CONSOLE_PORT) is a
// console, and a removed port stays removed, even once the device adds a new port under its number
// (section 5.3.6.2: port numbers are reused after DEVICE_REMOVE).
import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { bytes, consoleRig, readAll, text } from "./console-harness";

describe("virtio-console port identity", () => {
  it("takes only the port the device nominated as a console, whatever order the ports came in", () => {
    const rig = consoleRig({ model: { maxPorts: 4, ports: [{ id: 0 }, { id: 1, name: "p" }, { id: 2, console: true }] } });
    expect(rig.console.ports.map((p) => [p.id, p.isConsole])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
    expect(rig.console.consolePort?.id).toBe(2);
    rig.model.checkConsoleOpens();
    assertNoViolations(rig.machine.violations);
  });

  it("gives a removed port none of the bytes meant for the new port under its number", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports: [{ id: 1, hostConnected: true }] } });
    const old = rig.console.port(1)!;
    rig.model.removePort(1);
    rig.poll();
    rig.model.addPort({ id: 1, hostConnected: true });
    rig.poll(3);
    const fresh = rig.console.port(1)!;
    expect(fresh).not.toBe(old);
    fresh.open();
    rig.poll();
    rig.model.hostWrite(1, bytes("for the new port"));
    rig.poll();
    expect([old.readable, old.readInto(new Uint8Array(64))]).toEqual([0, 0]);
    expect(text(readAll(fresh))).toBe("for the new port");
    assertNoViolations(rig.machine.violations);
  });
});
