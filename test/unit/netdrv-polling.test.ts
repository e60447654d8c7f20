// virtio-net without interrupts: the device is asked for none (the driver polls), whether the
// options asked for polling or there is no loop to wake; one poller per device whatever the
// number of receive handlers set.
import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { NetQueue } from "../sim/virtio/net-model";
import { irqMachine } from "./driver-irq-harness";
import { GUEST_MAC, ManualLoop, PEER_MAC, frameTo, netRig } from "./netdrv-harness";

describe("virtio-net polled", () => {
  it("asks the device for no interrupt on either queue, a full transmit ring included", () => {
    const { machine, model, net, received } = netRig({ device: { eventIdx: false, queueSize: 8 }, driver: { txBatch: 64 } });
    expect(net.interruptMode).toBe("polling");
    for (let round = 0; round < 3; round++) {
      model.injectFrame(frameTo(GUEST_MAC, 50));
      net.poll();
    }
    expect(received.length).toBe(3);
    model.holdCompletions = true;
    let sent = 0;
    while (sent < 20 && net.transmit(frameTo(PEER_MAC, 50))) sent++;
    expect(sent).toBe(8);
    let ready = 0;
    net.onTransmitReady(() => ready++);
    model.holdCompletions = false;
    model.releaseHeld(NetQueue.Tx);
    net.poll();
    expect(ready).toBe(1);
    expect(model.queues[NetQueue.Rx].interrupts).toBe(0);
    expect(model.queues[NetQueue.Tx].interrupts).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("binds no interrupts without a loop, even where it could: whoever calls poll() drives it", () => {
    const rig = irqMachine({ nic: { driver: { loop: undefined } } });
    const { net, netModel, machine } = rig;
    expect(net.interruptMode).toBe("polling");
    const frames: number[] = [];
    net.onReceive((frame) => frames.push(frame.length));
    netModel.injectFrame(frameTo(GUEST_MAC, 50));
    net.poll();
    expect(frames).toEqual([64]);
    expect(machine.apic.delivered.size).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("registers one poller however many times a receive handler is set", () => {
    const loop = new ManualLoop();
    const { model, net } = netRig({ driver: { loop }, listen: false });
    const first: number[] = [];
    const second: number[] = [];
    net.onReceive((frame) => first.push(frame.length));
    net.onReceive((frame) => second.push(frame.length));
    expect(loop.pollers.size).toBe(1);
    model.injectFrame(frameTo(GUEST_MAC, 50));
    loop.turn();
    expect([first, second]).toEqual([[], [64]]);
    net.close();
    expect(loop.pollers.size).toBe(0);
  });
});
