// virtio-net driven by interrupts: rx wakes the loop (no poller), transmissions are flushed on the
// next turn, a full tx ring arms the tx interrupt, link changes come from the config interrupt.
import { describe, expect, it } from "vitest";
import { NO_DEADLINE } from "../../kernel/event-loop";
import { assertNoViolations } from "../sim/violations";
import { NetQueue } from "../sim/virtio/net-model";
import { irqMachine } from "./driver-irq-harness";
import { frameTo, GUEST_MAC } from "./netdrv-harness";

const PEER = [2, 0, 0, 0, 0, 1];
const FRAME_PAYLOAD = 60;
const TX_BUFFERS = 8;

describe("virtio-net by interrupt", () => {
  it("receives from the rx interrupt; an attached stack keeps the machine alive without spinning", () => {
    const rig = irqMachine({ nic: {} });
    const { net, netModel } = rig;
    expect(net.interruptMode).toBe("msix");
    expect(rig.turn()).toBe(-1);
    const frames: number[] = [];
    net.onReceive((frame) => frames.push(frame[14]));
    expect(rig.turn()).toBe(NO_DEADLINE);
    expect(rig.turn()).toBe(NO_DEADLINE);
    for (let i = 0; i < 3; i++) netModel.injectFrame(frameTo(GUEST_MAC, FRAME_PAYLOAD + i));
    expect(rig.turn()).toBe(NO_DEADLINE);
    expect(frames).toEqual([3, 3, 3]);
    expect(net.interruptStats.interrupts).toBeGreaterThan(0);
    net.close();
    expect(rig.turn()).toBe(-1);
    assertNoViolations(rig.machine.violations);
  });

  it("comes back for frames beyond the receive budget without another interrupt", () => {
    const rig = irqMachine({ nic: { driver: { rxBudget: 4 } } });
    const { net, netModel } = rig;
    let received = 0;
    net.onReceive(() => received++);
    for (let i = 0; i < 10; i++) netModel.injectFrame(frameTo(GUEST_MAC, FRAME_PAYLOAD));
    const interrupts = net.interruptStats.interrupts;
    for (let turn = 0; turn < 4; turn++) rig.turn();
    expect(received).toBe(10);
    expect(net.interruptStats.interrupts - interrupts).toBeLessThanOrEqual(1);
    assertNoViolations(rig.machine.violations);
  });

  it("flushes transmissions on the next turn, one notification per batch, with tx interrupts suppressed", () => {
    for (const eventIdx of [false, true]) {
      const rig = irqMachine({ nic: { model: { eventIdx } } });
      const { net, netModel } = rig;
      const tx = netModel.queues[NetQueue.Tx];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 5; i++) expect(net.transmit(frameTo(PEER, FRAME_PAYLOAD))).toBe(true);
        expect(tx.notifications).toBe(round);
        rig.turn();
        expect(tx.notifications).toBe(round + 1);
      }
      expect(netModel.transmitted.length).toBe(15);
      // EVENT_IDX has no "don't interrupt" flag: used_event left behind allows one interrupt.
      expect(tx.interrupts).toBeLessThanOrEqual(eventIdx ? 1 : 0);
      assertNoViolations(rig.machine.violations);
    }
  });

  it("arms the tx interrupt only while a sender waits for room, and tells it once there is some", () => {
    for (const eventIdx of [false, true]) {
      const rig = irqMachine({ nic: { model: { eventIdx }, driver: { txBuffers: TX_BUFFERS, txBatch: TX_BUFFERS } } });
      const { net, netModel } = rig;
      const tx = netModel.queues[NetQueue.Tx];
      let ready = 0;
      net.onTransmitReady(() => ready++);
      netModel.holdCompletions = true;
      for (let i = 0; i < TX_BUFFERS; i++) expect(net.transmit(frameTo(PEER, FRAME_PAYLOAD))).toBe(true);
      expect(net.transmit(frameTo(PEER, FRAME_PAYLOAD))).toBe(false);
      rig.turn();
      expect(ready).toBe(0);
      const before = tx.interrupts;
      netModel.holdCompletions = false;
      netModel.releaseHeld(NetQueue.Tx);
      expect(tx.interrupts - before).toBeGreaterThanOrEqual(1);
      rig.turn();
      expect(ready).toBe(1);
      expect(net.transmit(frameTo(PEER, FRAME_PAYLOAD))).toBe(true);
      rig.turn();
      rig.turn();
      expect(ready).toBe(1);
      // Room made: the tx interrupt is suppressed again.
      const after = tx.interrupts;
      for (let i = 0; i < 4; i++) net.transmit(frameTo(PEER, FRAME_PAYLOAD));
      rig.turn();
      expect(tx.interrupts - after).toBeLessThanOrEqual(eventIdx ? 1 : 0);
      expect(netModel.transmitted.length).toBe(TX_BUFFERS + 5);
      assertNoViolations(rig.machine.violations);
    }
  });

  it("follows link changes from the config interrupt (MSI-X, and INTx on a legacy interface)", () => {
    for (const pci of [{}, { msixVectors: 0, layout: "legacy" as const }]) {
      const rig = irqMachine({ nic: { pci } });
      const { net, netModel } = rig;
      expect(net.interruptMode).toBe(pci.msixVectors === 0 ? "intx" : "msix");
      const changes: boolean[] = [];
      net.onLinkChange((up) => changes.push(up));
      net.onReceive(() => undefined);
      expect(net.linkUp).toBe(true);
      netModel.setLinkUp(false);
      expect(net.linkUp).toBe(true);
      rig.turn();
      expect(net.linkUp).toBe(false);
      netModel.setLinkUp(true);
      rig.turn();
      expect(changes).toEqual([false, true]);
      expect(net.counters.linkChanges).toBe(2);
      assertNoViolations(rig.machine.violations);
    }
  });

  it("polls when asked to: a poller (the loop spins), no interrupts taken", () => {
    const rig = irqMachine({ nic: { driver: { interrupts: false, configPollIntervalNs: 0 } } });
    const { net, netModel, machine } = rig;
    expect(net.interruptMode).toBe("polling");
    const frames: number[] = [];
    net.onReceive((frame) => frames.push(frame.length));
    expect(rig.turn()).toBe(0);
    netModel.injectFrame(frameTo(GUEST_MAC, FRAME_PAYLOAD));
    netModel.setLinkUp(false);
    rig.turn();
    expect(frames).toEqual([FRAME_PAYLOAD + 14]);
    expect(net.linkUp).toBe(false);
    expect(machine.apic.delivered.size).toBe(0);
    assertNoViolations(machine.violations);
  });
});
