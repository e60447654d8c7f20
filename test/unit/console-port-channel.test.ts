// A port's receive path against a device that hands every receive buffer straight back empty.
import { describe, expect, it } from "vitest";
import { PortChannel } from "../../drivers/virtio/console/port-channel";
import { SimMachine } from "../sim/machine";
import { EagerEmptyQueue } from "./eager-empty-queue";

const RX_BUFFERS = 4;

describe("virtio-console port channel", () => {
  it("takes at most one round of its receive buffers per call from a device returning them empty at once", () => {
    const machine = new SimMachine();
    const rx = new EagerEmptyQueue(machine, RX_BUFFERS);
    const tx = new EagerEmptyQueue(machine, RX_BUFFERS);
    const channel = new PortChannel(machine, rx, tx, { rxBuffers: RX_BUFFERS, rxBufferSize: 64, txBuffers: 1, txBufferSize: 64 });
    channel.start();
    expect(channel.receive()).toBe(RX_BUFFERS);
    expect(channel.receivePending).toBe(true);
    expect(channel.receive()).toBe(RX_BUFFERS);
    expect(channel.readable).toBe(0);
    expect(rx.broken).toBeUndefined();
  });
});
