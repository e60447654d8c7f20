// virtio-blk completion by interrupt: MSI-X and shared INTx, interrupts per request, keep-alive,
// capacity changes from the config interrupt, and the polling option.
import { describe, expect, it } from "vitest";
import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { NO_DEADLINE } from "../../kernel/event-loop";
import { BlockTimeoutError } from "../../runtime/block/errors";
import { assertNoViolations } from "../sim/violations";
import { BlkRequestType, SECTOR_SIZE } from "../sim/virtio/blk-model";
import { simDisk } from "./blk-harness";
import { irqMachine } from "./driver-irq-harness";

const SECTORS = 4096;
const BLOCK = 4096;
const BLOCK_SECTORS = BLOCK / SECTOR_SIZE;
const REQUEST_QUEUE = 0;
const QD1_REQUESTS = 16;
const QD32 = 32;
/** The block layer's default request deadline. */
const REQUEST_TIMEOUT_NS = 30_000_000_000;

function diskMachine(options: { eventIdx?: boolean; msixVectors?: number; interrupts?: boolean } = {}) {
  return irqMachine({
    disk: {
      model: { sectors: SECTORS, blkSize: BLOCK, eventIdx: options.eventIdx },
      pci: { msixVectors: options.msixVectors },
      driver: { interrupts: options.interrupts },
    },
  });
}

function stamp(model: { disk: Uint8Array }, block: number): void {
  model.disk.fill(block & 0xff, block * BLOCK, (block + 1) * BLOCK);
}

describe("virtio-blk completion by interrupt", () => {
  it("completes reads from the MSI-X vector; the loop waits instead of spinning", async () => {
    const rig = diskMachine();
    const { blk, blkModel, disk } = rig;
    expect(blk.interruptMode).toBe("msix");
    rig.turn();
    const before = blk.interruptStats.interrupts;
    stamp(blkModel, 3);
    blkModel.holdCompletions = true;
    const read = disk.read(3, new Uint8Array(BLOCK));
    // In flight: the machine stays alive, but only an interrupt brings work (no spinning); the
    // one timer is the request's deadline, 30 s away.
    const deadline = rig.turn();
    expect(deadline).not.toBe(NO_DEADLINE);
    expect(deadline - rig.machine.monotonicNs()).toBeGreaterThan(REQUEST_TIMEOUT_NS - 1_000_000_000);
    expect(rig.turn()).toBe(deadline);
    blkModel.holdCompletions = false;
    blkModel.releaseHeld(REQUEST_QUEUE);
    expect((await rig.run(read)).every((b) => b === 3)).toBe(true);
    expect(blk.interruptStats.interrupts - before).toBe(1);
    // Idle disk: nothing keeps the machine alive.
    expect(rig.turn()).toBe(-1);
    expect(rig.uncaught).toEqual([]);
    assertNoViolations(rig.machine.violations);
  });

  it("a write the device loses: the machine sleeps until its deadline, then the device is reset and completes by interrupt again", async () => {
    const rig = diskMachine();
    const { blk, blkModel, disk } = rig;
    rig.turn();
    blkModel.blkFaults.lose.set(BlkRequestType.Out, 1);
    const write = disk.write(1, new Uint8Array(BLOCK).fill(7));
    const deadline = rig.turn();
    // Nothing will come: the kernel sleeps until the one timer, the request's deadline.
    rig.machine.waitForInterrupt(deadline);
    await expect(rig.run(write)).rejects.toBeInstanceOf(BlockTimeoutError);
    expect(disk.recoveries).toBe(1);
    const fresh = disk.driver as VirtioBlk;
    expect(fresh).not.toBe(blk);
    expect(fresh.interruptMode).toBe("msix");
    stamp(blkModel, 2);
    const before = fresh.interruptStats.interrupts;
    expect((await rig.run(disk.read(2, new Uint8Array(BLOCK)))).every((b) => b === 2)).toBe(true);
    expect(fresh.interruptStats.interrupts - before).toBe(1);
    expect(rig.turn()).toBe(-1);
    expect(rig.uncaught).toEqual([]);
    assertNoViolations(rig.machine.violations);
  });

  it("completes by INTx on a line shared with a NIC; each device reads its own ISR", async () => {
    const line = { msixVectors: 0, interruptLine: 11 };
    const rig = irqMachine({ disk: { model: { sectors: SECTORS, blkSize: BLOCK }, pci: line }, nic: { pci: line } });
    const { blk, net, blkModel, netModel, disk } = rig;
    expect([blk.interruptMode, net.interruptMode]).toEqual(["intx", "intx"]);
    const frames: number[] = [];
    net.onReceive((frame) => frames.push(frame.length));
    rig.turn();
    const netBefore = { ...net.interruptStats };
    const blkBefore = blk.interruptStats.interrupts;
    stamp(blkModel, 1);
    expect((await rig.run(disk.read(1, new Uint8Array(BLOCK)))).every((b) => b === 1)).toBe(true);
    expect(blk.interruptStats.interrupts - blkBefore).toBe(1);
    expect(net.interruptStats.spurious).toBeGreaterThan(netBefore.spurious);
    expect(net.interruptStats.interrupts).toBe(netBefore.interrupts);
    netModel.injectFrame(new Uint8Array(60).fill(0xff));
    rig.turn();
    rig.turn();
    expect(frames).toEqual([60]);
    expect(blk.interruptStats.interrupts - blkBefore).toBe(1);
    expect(blk.interruptStats.spurious).toBeGreaterThan(0);
    assertNoViolations(rig.machine.violations);
  });

  for (const eventIdx of [false, true]) {
    it(`interrupts per request at QD1 and QD32 (EVENT_IDX ${eventIdx ? "on" : "off"})`, async () => {
      const rig = diskMachine({ eventIdx });
      const { blk, blkModel, disk } = rig;
      const raised = () => blkModel.queues[REQUEST_QUEUE].interrupts;
      const taken = () => blk.interruptStats.interrupts;
      const buffer = disk.allocBuffer(BLOCK);
      rig.turn();

      const [raised0, taken0] = [raised(), taken()];
      for (let i = 0; i < QD1_REQUESTS; i++) await rig.run(disk.read(i, buffer));
      expect(taken() - taken0).toBe(QD1_REQUESTS);
      expect(raised() - raised0).toBe(QD1_REQUESTS);

      // A QD32 burst queued in one turn goes to the device together, with one notification; the
      // device completes it before the driver runs, and the driver takes one interrupt for it all.
      const buffers = Array.from({ length: QD32 }, () => disk.allocBuffer(BLOCK));
      const notified = () => blkModel.queues[REQUEST_QUEUE].notifications;
      const [taken1, notified1] = [taken(), notified()];
      const reads = buffers.map((b, i) => disk.read(i * 2, b));
      await rig.run(Promise.all(reads));
      expect(notified() - notified1).toBe(1);
      expect(taken() - taken1).toBe(1);

      // A QD32 burst that lands whole before the driver runs: EVENT_IDX asks for one interrupt;
      // without it the device raises one per request, which the vector coalesces.
      blkModel.holdCompletions = true;
      const again = buffers.map((b, i) => disk.read(i * 2 + 1, b));
      blkModel.holdCompletions = false;
      const [raised2, taken2] = [raised(), taken()];
      blkModel.releaseHeld(REQUEST_QUEUE);
      await rig.run(Promise.all(again));
      expect(raised() - raised2).toBe(eventIdx ? 1 : QD32);
      expect(taken() - taken2).toBe(1);
      assertNoViolations(rig.machine.violations);
    });
  }

  it("follows a capacity change from the config interrupt, with no request and no polling", async () => {
    for (const msixVectors of [undefined, 0]) {
      const rig = diskMachine({ msixVectors });
      const { blk, blkModel, disk } = rig;
      expect(blk.interruptMode).toBe(msixVectors === 0 ? "intx" : "msix");
      const changes: number[] = [];
      const before = disk.info;
      blkModel.resize(2 * SECTORS);
      expect(blk.configChanges).toBe(0);
      // Looking at info does not poll for the change: the interrupt brings it.
      expect(disk.info).toBe(before);
      blk.onDeviceError = (error) => changes.push(error.code.length);
      rig.turn();
      expect(blk.configChanges).toBe(1);
      expect(blk.geometry.capacitySectors).toBe(2 * SECTORS);
      expect(disk.info.capacityBytes).toBe(2 * SECTORS * SECTOR_SIZE);
      expect(changes).toEqual([]);
      const last = disk.info.blocks - 1;
      await rig.run(disk.write(last, new Uint8Array(BLOCK).fill(9)));
      expect(blkModel.disk[last * BLOCK_SECTORS * SECTOR_SIZE]).toBe(9);
      assertNoViolations(rig.machine.violations);
    }
  });

  it("polled, it asks the device for no interrupts (no EVENT_IDX: the avail ring's NO_INTERRUPT flag)", () => {
    const { blk, model, machine } = simDisk({ sectors: 64, eventIdx: false });
    expect(blk.interruptMode).toBe("polling");
    blk.onComplete = undefined;
    const buffer = machine.allocDma(512);
    for (let i = 0; i < 3; i++) {
      expect(blk.submitRead(i, buffer.physical, 512)).toBeGreaterThanOrEqual(0);
      blk.kick();
      expect(blk.complete()).toBe(1);
    }
    const queue = model.queue(REQUEST_QUEUE);
    expect(queue?.interrupts).toBe(0);
    // GET_ID at start-up and the three reads.
    expect(queue?.suppressed).toBe(4);
  });

  it("polls when asked to, taking no interrupts, and still keeps the machine alive only while busy", async () => {
    const rig = diskMachine({ interrupts: false });
    const { blk, blkModel, disk, machine } = rig;
    expect(blk.interruptMode).toBe("polling");
    stamp(blkModel, 5);
    blkModel.holdCompletions = true;
    const read = disk.read(5, new Uint8Array(BLOCK));
    expect(rig.turn()).toBe(0);
    blkModel.holdCompletions = false;
    blkModel.releaseHeld(REQUEST_QUEUE);
    expect((await rig.run(read)).every((b) => b === 5)).toBe(true);
    expect(machine.apic.delivered.size).toBe(0);
    expect(rig.turn()).toBe(-1);
    assertNoViolations(machine.violations);
  });
});
