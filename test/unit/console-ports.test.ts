// The app-facing port API (runtime/ports) over the driver and the simulated device: ports opened by
// name (waiting for a hot-plugged one), async iteration, write() with back-pressure, host
// connect/disconnect events, removal and close, and the kernel console mirrored to a port.
import { describe, expect, it } from "vitest";
import { transmitQueueOf } from "../../drivers/virtio/console/constants";
import { CommandLine } from "../../kernel/command-line";
import { ConsoleOutput } from "../../kernel/console/output";
import type { VirtioConsole } from "../../drivers/virtio/console/console";
import { ConsoleMirror, PortError, adoptConsoles, consoleMirror, consoleRecoveries, listPorts, mirrorConsoleFromCommandLine, openPort } from "../../runtime/ports/index";
import { assertNoViolations } from "../sim/violations";
import { bytes, consoleRig, sameBytes, text, type ConsoleRig } from "./console-harness";

/** Turns the driver (as the event loop would) until `promise` settles. */
async function settle<T>(rig: ConsoleRig, promise: Promise<T>, turns = 500): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < turns && !done; i++) {
    rig.poll();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return promise;
}

function rigWith(...names: string[]): ConsoleRig {
  const rig = consoleRig({ model: { maxPorts: 8, ports: [{ id: 0, console: true }, ...names.map((name, i) => ({ id: i + 1, name, hostConnected: true }))] } });
  adoptConsoles([rig.console]);
  return rig;
}

describe("runtime ports", () => {
  it("opens a port by name when it is hot-plugged, reads with for-await and writes back", async () => {
    const rig = rigWith();
    const opening = openPort("test.echo", { timeoutMs: 5_000 });
    rig.poll();
    rig.model.addPort({ id: 5, name: "test.echo", hostConnected: true });
    const port = await settle(rig, opening);
    expect(port.name).toBe("test.echo");
    expect(port.hostConnected).toBe(true);
    expect(listPorts().find((p) => p.name === "test.echo")?.inUse).toBe(true);
    rig.model.hostWrite(5, bytes("ping"));
    const reading = (async () => {
      for await (const chunk of port) {
        await port.write(chunk);
        if (text(chunk).includes("!")) return;
      }
    })();
    rig.poll();
    rig.model.hostWrite(5, bytes(" pong!"));
    await settle(rig, reading);
    expect(text(rig.model.ports.get(5)!.receivedBytes)).toBe("ping pong!");
    assertNoViolations(rig.machine.violations);
  });

  it("rejects with a timeout when no port of that name appears", async () => {
    rigWith("test.other");
    await expect(openPort("test.missing", { timeoutMs: 20 })).rejects.toMatchObject({ code: "timeout" });
  });

  it("tells the host connecting and disconnecting as open and close events", async () => {
    const rig = rigWith("test.events");
    const port = await openPort("test.events");
    const events: string[] = [];
    port.on("close", () => events.push("close")).on("open", () => events.push("open"));
    rig.model.setHostConnected(1, false);
    rig.poll();
    rig.model.setHostConnected(1, true);
    rig.poll();
    expect(events).toEqual(["close", "open"]);
  });

  it("keeps an exception from an event listener out of the device's poll, and reports it", async () => {
    const rig = rigWith("test.throws", "test.quiet");
    const port = await openPort("test.throws");
    const quiet = await openPort("test.quiet");
    port.on("close", () => {
      throw new Error("app bug");
    });
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on("unhandledRejection", onRejection);
    rig.model.setHostConnected(1, false);
    rig.model.hostWrite(2, bytes("still here"));
    expect(() => rig.poll()).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.off("unhandledRejection", onRejection);
    expect(rejections).toEqual([new Error("app bug")]);
    expect(text((await settle(rig, quiet.read())) ?? new Uint8Array())).toBe("still here");
  });

  it("holds write() until the device gives transmit buffers back, and sends 1 MiB intact", async () => {
    const rig = rigWith("test.bulk");
    const port = await openPort("test.bulk");
    rig.model.holdCompletions = true;
    let finished = false;
    const first = port.write(new Uint8Array(200_000).fill(1)).then(() => (finished = true));
    rig.poll(3);
    await Promise.resolve();
    expect(finished).toBe(false);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(transmitQueueOf(1));
    await settle(rig, first);
    const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
    await settle(rig, port.write(big), 5_000);
    const received = rig.model.ports.get(1)!.receivedBytes;
    expect(received.length).toBe(200_000 + big.length);
    expect(sameBytes(received.subarray(200_000), big)).toBe(true);
  });

  it("rejects a write that the device does not take in time", async () => {
    const rig = rigWith("test.stuck");
    const port = await openPort("test.stuck");
    rig.model.holdCompletions = true;
    await expect(port.write(new Uint8Array(1 << 20), { timeoutMs: 20 })).rejects.toMatchObject({ code: "timeout" });
  });

  it("ends reading and rejects writes when the port is removed", async () => {
    const rig = rigWith("test.gone");
    const port = await openPort("test.gone");
    rig.model.holdCompletions = true;
    const reading = port.read();
    const writing = port.write(new Uint8Array(1 << 20));
    rig.model.holdCompletions = false;
    rig.model.removePort(1);
    rig.poll();
    expect(await reading).toBeUndefined();
    await expect(writing).rejects.toBeInstanceOf(PortError);
    await expect(writing).rejects.toMatchObject({ code: "removed" });
    expect(port.closed).toBe(true);
  });

  it("a device that needs a reset loses its ports, is reset, and its ports open again by name", async () => {
    const rig = rigWith("test.recover");
    const port = await openPort("test.recover");
    const reading = port.read();
    const before = consoleRecoveries();
    rig.model.enterNeedsReset();
    rig.poll();
    expect(await reading).toBeUndefined();
    expect(port.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(consoleRecoveries()).toBe(before + 1);
    const fresh = rig.device.instance as VirtioConsole;
    expect(fresh).not.toBe(rig.console);
    const reopening = openPort("test.recover", { timeoutMs: 5_000 });
    for (let i = 0; i < 3; i++) fresh.poll();
    const again = await reopening;
    rig.model.hostWrite(1, bytes("back"));
    fresh.poll();
    expect(text(await again.read() ?? new Uint8Array())).toBe("back");
    assertNoViolations(rig.machine.violations);
  });

  it("closes: the device hears PORT_OPEN 0, reads end, and the port can be opened again", async () => {
    const rig = rigWith("test.reopen");
    const port = await openPort("test.reopen");
    rig.poll();
    expect(rig.model.ports.get(1)?.guestOpen).toBe(true);
    const reading = port.read();
    port.close();
    rig.poll();
    expect(await reading).toBeUndefined();
    expect(rig.model.ports.get(1)?.guestOpen).toBe(false);
    await expect(port.write("late")).rejects.toMatchObject({ code: "closed" });
    const again = await openPort("test.reopen", { timeoutMs: 100 });
    rig.poll();
    expect(rig.model.ports.get(1)?.guestOpen).toBe(true);
    again.close();
    assertNoViolations(rig.machine.violations);
  });
});

describe("console mirror", () => {
  it("mirrors console text to the console port once it is there and can turn serial off", async () => {
    const serial: string[] = [];
    const output = new ConsoleOutput((t) => serial.push(t));
    const asked = mirrorConsoleFromCommandLine(new CommandLine("console.mirror=test.mirror console.serial=off"), output);
    expect(asked).toBe(true);
    output.write("before\n");
    const rig = rigWith("test.mirror");
    expect(await consoleMirror()).toBeInstanceOf(ConsoleMirror);
    output.write("after\n");
    // The mirror hands text over after the code running now.
    await Promise.resolve();
    rig.poll();
    expect(serial).toEqual(["before\n"]);
    expect(text(rig.model.ports.get(1)!.receivedBytes)).toBe("after\n");
    rig.model.removePort(1);
    rig.poll();
    output.write("serial again\n");
    expect(serial).toEqual(["before\n", "serial again\n"]);
  });

  it("keeps up with a burst far larger than its buffer, without a poll, when the device uses buffers as they come", async () => {
    const rig = rigWith("test.burst");
    const port = rig.console.port(1)!;
    const mirror = new ConsoleMirror(port, 1024);
    const line = `${"y".repeat(99)}\n`;
    for (let i = 0; i < 5000; i++) mirror.write(line);
    expect(mirror.dropped).toBe(0);
    await Promise.resolve();
    expect(mirror.pending).toBe(0);
    expect(text(rig.model.ports.get(1)!.receivedBytes)).toBe(line.repeat(5000));
  });

  it("encodes text beyond ASCII as UTF-8, whole characters only", async () => {
    const rig = rigWith("test.utf8");
    const mirror = new ConsoleMirror(rig.console.port(1)!, 16);
    const line = "ab\u00e9\u20ac\u{1f600}z\n";
    mirror.write(line);
    mirror.write(line);
    await Promise.resolve();
    rig.poll();
    expect(text(rig.model.ports.get(1)!.receivedBytes)).toBe(line + line);
    expect(mirror.dropped).toBe(0);
  });

  it("drops what does not fit while the device holds every buffer, and counts it", async () => {
    const rig = rigWith("test.small");
    const port = rig.console.port(1)!;
    rig.model.holdCompletions = true;
    const mirror = new ConsoleMirror(port, 1024);
    const line = "x".repeat(100);
    for (let i = 0; i < 1000; i++) mirror.write(line);
    await Promise.resolve();
    // The first lines went out to the transmit buffers, which the device holds.
    expect(port.inFlight).toBe(16);
    const held = rig.model.queue(transmitQueueOf(1))!.held.reduce((sum, request) => sum + request.readableLength, 0);
    expect(mirror.pending).toBeGreaterThan(1024 - line.length);
    expect(mirror.pending).toBeLessThanOrEqual(1024);
    expect(mirror.dropped + mirror.pending + held).toBe(1000 * line.length);
  });
});
