// A port's writer and the transmit buffers: onWritable tells of buffers the device gave back, so a
// writer waiting on it runs once per poll that freed some, never on a poll that freed none.
import { describe, expect, it } from "vitest";
import { transmitQueueOf } from "../../drivers/virtio/console/constants";
import { assertNoViolations } from "../sim/violations";
import { bytes, consoleRig, text } from "./console-harness";

describe("virtio-console writer", () => {
  it("calls onWritable for a poll that took transmit buffers back, not for one that took none", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports: [{ id: 1, hostConnected: true }] }, limits: { txBuffers: 2, txBufferSize: 4 } });
    const port = rig.console.port(1)!;
    let writable = 0;
    port.onWritable = () => writable++;
    rig.poll(2);
    expect(writable).toBe(0);
    rig.model.holdCompletions = true;
    expect(port.writeSome(bytes("abcdefgh"))).toBe(8);
    rig.poll();
    expect([writable, port.writable]).toEqual([0, 0]);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(transmitQueueOf(1));
    rig.poll();
    expect([writable, port.writable]).toEqual([1, 8]);
    rig.poll(2);
    expect(writable).toBe(1);
    expect(text(rig.model.ports.get(1)!.receivedBytes)).toBe("abcdefgh");
    assertNoViolations(rig.machine.violations);
  });
});
