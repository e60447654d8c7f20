// virtio-net by interrupt: when the driver wakes its loop source. Sending wakes it only for frames
// still to be announced; a receive pass takes at most the budget and asks to come back only when
// frames are still waiting.
import { describe, expect, it } from "vitest";
import type { NetLoop, WakeSource } from "../../drivers/virtio/net/net";
import { assertNoViolations } from "../sim/violations";
import { NetQueue } from "../sim/virtio/net-model";
import { irqMachine } from "./driver-irq-harness";
import { GUEST_MAC, PEER_MAC, frameTo } from "./netdrv-harness";

/** A loop that counts wakes and runs nothing by itself: the test calls poll() as the loop would. */
class CountingLoop implements NetLoop {
  wakes = 0;

  addPoller(): { close(): void } {
    throw new Error("interrupt-driven devices need no poller");
  }

  addWakeSource(): WakeSource {
    return {
      wake: () => {
        this.wakes++;
      },
      ref: () => undefined,
      unref: () => undefined,
    };
  }
}

function rig(driver: { txBatch?: number; rxBudget?: number; txBuffers?: number }) {
  const loop = new CountingLoop();
  const machine = irqMachine({ nic: { driver: { loop, ...driver } } });
  expect(machine.net.interruptMode).toBe("msix");
  return { ...machine, loop };
}

describe("virtio-net wakes its loop", () => {
  it("after a send only while frames wait to be announced", () => {
    const full = rig({ txBatch: 1 });
    expect(full.net.transmit(frameTo(PEER_MAC, 50))).toBe(true);
    expect(full.netModel.transmitted.length).toBe(1);
    expect(full.loop.wakes).toBe(0);

    const batched = rig({ txBatch: 8 });
    expect(batched.net.transmit(frameTo(PEER_MAC, 50))).toBe(true);
    expect(batched.netModel.transmitted.length).toBe(0);
    expect(batched.loop.wakes).toBe(1);
    batched.net.poll();
    expect(batched.netModel.transmitted.length).toBe(1);
    assertNoViolations(batched.machine.violations);
  });

  it("not when a send finds the ring full: the tx interrupt is armed instead, and the sender hears of room once there is some", () => {
    const { net, netModel, loop, machine } = rig({ txBuffers: 4, txBatch: 1 });
    let ready = 0;
    net.onTransmitReady(() => ready++);
    netModel.holdCompletions = true;
    for (let i = 0; i < 4; i++) expect(net.transmit(frameTo(PEER_MAC, 50))).toBe(true);
    expect(net.transmit(frameTo(PEER_MAC, 50))).toBe(false);
    expect(loop.wakes).toBe(0);
    expect(netModel.queues[NetQueue.Tx].interrupts).toBe(0);
    netModel.holdCompletions = false;
    netModel.releaseHeld(NetQueue.Tx);
    expect(netModel.queues[NetQueue.Tx].interrupts).toBeGreaterThan(0);
    net.poll();
    expect(ready).toBe(1);
    expect(net.transmit(frameTo(PEER_MAC, 50))).toBe(true);
    assertNoViolations(machine.violations);
  });

  it("after a receive pass only when it stopped on the budget with frames still waiting", () => {
    const { net, netModel, loop, machine } = rig({ rxBudget: 4 });
    const frames: number[] = [];
    net.onReceive((frame) => frames.push(frame.length));
    for (let i = 0; i < 4; i++) netModel.injectFrame(frameTo(GUEST_MAC, 50));
    net.poll();
    expect(frames.length).toBe(4);
    expect(loop.wakes).toBe(0);
    for (let i = 0; i < 6; i++) netModel.injectFrame(frameTo(GUEST_MAC, 50));
    net.poll();
    expect(frames.length).toBe(8);
    expect(loop.wakes).toBe(1);
    net.poll();
    expect(frames.length).toBe(10);
    expect(loop.wakes).toBe(1);
    assertNoViolations(machine.violations);
  });
});
