// A port's reader and the device's receive buffers: the device only looks for buffers when told
// (virtio 1.2 section 2.7.13: the driver notifies after making buffers available), so every read
// that empties buffers must tell it, or a host with more to send waits for ever.
import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { consoleRig, text } from "./console-harness";

describe("virtio-console reader", () => {
  it("tells the device of the buffers one exact read emptied, so the rest of the host's bytes arrive", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports: [{ id: 1, hostConnected: true }] }, limits: { rxBuffers: 4, rxBufferSize: 16 } });
    const port = rig.console.port(1)!;
    port.open();
    rig.poll();
    const sent = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".repeat(2);
    rig.model.hostWrite(1, new TextEncoder().encode(sent));
    rig.poll();
    expect(port.readable).toBe(64);
    expect(rig.model.postedReceiveBuffers(1)).toBe(0);
    // One read of exactly what is there empties all four buffers; no further read follows.
    const first = new Uint8Array(port.readable);
    expect(port.readInto(first)).toBe(64);
    rig.poll();
    expect(port.readable).toBe(sent.length - 64);
    const rest = new Uint8Array(port.readable);
    expect(port.readInto(rest)).toBe(sent.length - 64);
    expect(text(first) + text(rest)).toBe(sent);
    expect(rig.model.postedReceiveBuffers(1)).toBe(4);
    assertNoViolations(rig.machine.violations);
  });

  it("calls onReadable in the very poll that brought the bytes, and not again while they wait unread", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports: [{ id: 1, hostConnected: true }] } });
    const port = rig.console.port(1)!;
    let readable = 0;
    port.onReadable = () => readable++;
    port.open();
    rig.poll();
    rig.model.hostWrite(1, new TextEncoder().encode("now"));
    rig.poll();
    expect([readable, port.readable]).toEqual([1, 3]);
    rig.poll(2);
    expect(readable).toBe(1);
    expect(port.readInto(new Uint8Array(8))).toBe(3);
  });
});
