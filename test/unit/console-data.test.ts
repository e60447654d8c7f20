// virtio-console data paths: back-pressure both ways (receive buffers re-posted only as the reader
// reads, writers held while the device keeps the transmit buffers), 1 MiB intact, emerg_wr, and a
// broken ring ending every port.
import { describe, expect, it } from "vitest";
import { transmitQueueOf } from "../../drivers/virtio/console/constants";
import { assertNoViolations } from "../sim/violations";
import { bytes, consoleRig, readAll, sameBytes, text, type ConsoleRig } from "./console-harness";

const MIB = 1024 * 1024;

function pattern(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const ports = [{ id: 1, name: "data", hostConnected: true }];

describe("virtio-console data", () => {
  it("holds at most its posted buffers for a reader that does not read, then delivers 1 MiB in order", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports }, limits: { rxBuffers: 4, rxBufferSize: 1024 } });
    const port = rig.console.port(1)!;
    port.open();
    rig.poll();
    const sent = pattern(MIB);
    rig.model.hostWrite(1, sent);
    rig.poll(3);
    expect(port.readable).toBe(4 * 1024);
    expect(rig.model.ports.get(1)!.pendingBytes).toBe(MIB - 4 * 1024);
    const got = new Uint8Array(MIB);
    let at = 0;
    const chunk = new Uint8Array(1500);
    for (let turns = 0; at < MIB && turns < 10_000; turns++) {
      rig.poll();
      for (let n = port.readInto(chunk); n > 0; n = port.readInto(chunk)) {
        got.set(chunk.subarray(0, n), at);
        at += n;
      }
    }
    expect(at).toBe(MIB);
    expect(sameBytes(got, sent)).toBe(true);
    assertNoViolations(rig.machine.violations);
  });

  it("uses one transmit buffer per buffer-size of bytes written, and no more", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports }, limits: { txBuffers: 4, txBufferSize: 8 } });
    const port = rig.console.port(1)!;
    rig.model.holdCompletions = true;
    expect(port.writeSome(bytes("0123456789"))).toBe(10);
    expect([port.inFlight, port.writable]).toEqual([2, 2 * 8]);
    expect(port.writeSome(bytes("abcdef"), 2, 4)).toBe(2);
    expect([port.inFlight, port.writable]).toEqual([3, 8]);
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(transmitQueueOf(1));
    rig.poll();
    expect([port.inFlight, port.writable]).toEqual([0, 4 * 8]);
    expect(text(rig.model.ports.get(1)!.receivedBytes)).toBe("0123456789cd");
    assertNoViolations(rig.machine.violations);
  });

  it("runs without a loop: a wake, or a receive budget that left used buffers, asks nothing of one", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports }, limits: { rxBuffers: 2, rxBufferSize: 4 } });
    rig.console.port(1)!.open();
    rig.poll();
    expect(() => rig.console.wake()).not.toThrow();
    rig.model.faults.usedLengthExtra = -4;
    rig.model.hostWrite(1, new Uint8Array(8 * 4));
    expect(() => rig.poll(4)).not.toThrow();
  });

  it("calls onReadable for a poll that brought bytes, not for one that brought none or only empty buffers", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports } });
    const port = rig.console.port(1)!;
    let readable = 0;
    port.onReadable = () => readable++;
    port.open();
    rig.poll(2);
    expect(readable).toBe(0);
    rig.model.hostWrite(1, bytes("abc"));
    rig.poll(2);
    expect(readable).toBe(1);
    expect(text(readAll(port))).toBe("abc");
    rig.model.faults.usedLengthExtra = -3;
    rig.model.hostWrite(1, bytes("def"));
    rig.poll();
    expect(readable).toBe(1);
    expect(port.readable).toBe(0);
  });

  it("sends 1 MiB intact, taking only what free transmit buffers hold and resuming on onWritable", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports }, limits: { txBuffers: 4, txBufferSize: 512 } });
    const port = rig.console.port(1)!;
    const sent = pattern(MIB, 3);
    rig.model.holdCompletions = true;
    expect(port.writeSome(sent)).toBe(4 * 512);
    expect(port.writable).toBe(0);
    expect(port.writeSome(sent, 2048)).toBe(0);
    let writable = 0;
    port.onWritable = () => writable++;
    rig.model.holdCompletions = false;
    rig.model.releaseHeld(transmitQueueOf(1));
    rig.poll();
    expect(writable).toBe(1);
    let at = 2048;
    for (let turns = 0; at < MIB && turns < 10_000; turns++) {
      at += port.writeSome(sent, at);
      rig.poll();
    }
    expect(at).toBe(MIB);
    expect(sameBytes(rig.model.ports.get(1)!.receivedBytes, sent)).toBe(true);
    assertNoViolations(rig.machine.violations);
  });

  it("writes through emerg_wr when the device offers EMERG_WRITE", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports, emergWrite: true } });
    expect(rig.console.emergencyWrite(bytes("panic!"))).toBe(true);
    expect(text(rig.model.emergencyBytes)).toBe("panic!");
    const plain = consoleRig({ model: { maxPorts: 2, ports } });
    expect(plain.console.emergencyWrite(bytes("x"))).toBe(false);
    assertNoViolations(rig.machine.violations);
  });

  it("ends every port when a ring breaks", () => {
    const rig = consoleRig({ model: { maxPorts: 3, ports: [{ id: 0, console: true }, ...ports] } });
    const removed: number[] = [];
    for (const port of rig.console.ports) port.onRemoved = () => removed.push(port.id);
    rig.model.faults.usedId = "out-of-range";
    rig.model.addPort({ id: 2, name: "never" });
    rig.poll();
    expect(rig.console.isStopped).toBe(true);
    expect(removed.sort()).toEqual([0, 1]);
    expect(rig.console.ports).toEqual([]);
  });
});

describe("virtio-console broken rings with work outstanding", () => {
  for (const [what, breakIt] of [
    ["the device needs a reset", (rig: ConsoleRig) => rig.model.enterNeedsReset()],
    ["the port's receive ring breaks", (rig: ConsoleRig) => {
      rig.model.faults.usedId = "out-of-range";
      rig.model.hostWrite(1, bytes("more"));
    }],
  ] as const) {
    it(`stops cleanly when ${what} while a port holds unread bytes and unused transmit buffers, and comes back on reset`, () => {
      const rig = consoleRig({ model: { maxPorts: 2, ports }, limits: { rxBuffers: 4, rxBufferSize: 16 } });
      const port = rig.console.port(1)!;
      port.open();
      rig.poll();
      rig.model.hostWrite(1, bytes("x".repeat(20)));
      rig.poll();
      expect(port.readable).toBe(20);
      rig.model.holdCompletions = true;
      expect(port.writeSome(bytes("held"))).toBe(4);
      rig.model.holdCompletions = false;
      const broken: string[] = [];
      rig.console.onBroken = (error) => broken.push(error.code);
      breakIt(rig);
      rig.poll();
      expect(broken).toHaveLength(1);
      expect(rig.console.isStopped).toBe(true);
      expect(port.removed).toBe(true);
      expect(rig.device.state).toBe("ready");
      rig.model.faults.usedId = "ok";
      const fresh = rig.console.reset();
      for (let i = 0; i < 3; i++) fresh.poll();
      expect(fresh.port(1)?.name).toBe("data");
    });
  }

  it("stops cleanly when the receive ring breaks in the same pass as an empty buffer came back", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports }, limits: { rxBuffers: 4, rxBufferSize: 16 } });
    const port = rig.console.port(1)!;
    port.open();
    rig.poll();
    const broken: string[] = [];
    rig.console.onBroken = (error) => broken.push(error.code);
    // Four bytes written, reported as none: an empty buffer, which goes straight back.
    rig.model.faults.usedLengthExtra = -4;
    rig.model.hostWrite(1, bytes("abcd"));
    rig.model.faults.usedLengthExtra = 0;
    rig.model.faults.usedId = "out-of-range";
    rig.model.hostWrite(1, bytes("efgh"));
    expect(() => rig.poll()).not.toThrow();
    expect(broken).toHaveLength(1);
    expect(port.removed).toBe(true);
    expect(rig.device.state).toBe("ready");
  });

  it("takes nothing written to a port whose transmit ring broke while the console stops (from another port's onRemoved)", () => {
    const rig = consoleRig({ model: { maxPorts: 2, ports: [{ id: 0, console: true }, ...ports] } });
    const [first, second] = rig.console.ports;
    let taken: number | undefined;
    first.onRemoved = () => (taken = second.writeSome(bytes("last words")));
    // The second port's transmit ring breaks: its buffer comes back under an impossible id.
    rig.model.holdCompletions = true;
    second.writeSome(bytes("first words"));
    rig.model.holdCompletions = false;
    rig.model.faults.usedId = "out-of-range";
    rig.model.releaseHeld(transmitQueueOf(1));
    rig.poll();
    expect(taken).toBe(0);
    expect(second.removed).toBe(true);
    expect(rig.device.state).toBe("ready");
  });

  it("takes nothing more from the device once a ring broke outside the poll", () => {
    const rig = consoleRig({ model: { maxPorts: 3, ports } });
    const port = rig.console.port(1)!;
    rig.model.holdCompletions = true;
    port.writeSome(bytes("x"));
    rig.model.holdCompletions = false;
    rig.model.faults.usedId = "out-of-range";
    rig.model.releaseHeld(transmitQueueOf(1));
    rig.model.faults.usedId = "ok";
    // The writer takes its buffers back itself, and finds the ring broken.
    expect(port.reclaim()).toBe(0);
    expect(rig.console.isStopped).toBe(true);
    const taken = rig.console.counters.controlMessages;
    rig.model.addPort({ id: 2, name: "late" });
    rig.poll(3);
    expect(rig.console.ports).toEqual([]);
    expect(rig.console.counters.controlMessages).toBe(taken);
  });
});
