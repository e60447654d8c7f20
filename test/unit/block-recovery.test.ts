// A disk whose device stops answering or corrupts its ring: the block layer fails what the device
// held (never acknowledging it), resets the device, takes on the driver instance it comes back
// with and goes on; a device that keeps failing is given up. Time is a manual clock throughout.
import { describe, expect, it, vi } from "vitest";
import { isBlockError } from "../../drivers/block-driver";
import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { VirtioRingBrokenError } from "../../drivers/virtio/errors";
import type { EventLoop } from "../../kernel/event-loop";
import { BlockIdentityError, BlockOfflineError, BlockTimeoutError } from "../../runtime/block/errors";
import { KvError } from "../../runtime/kv/errors";
import { KvStore } from "../../runtime/kv/store";
import { ManualScheduler } from "../net/manual-scheduler";
import { assertNoViolations } from "../sim/violations";
import { BlkConfig, BlkRequestType } from "../sim/virtio/blk-model";
import { pattern, simDisk } from "./blk-harness";

const BLOCK = 512;
const TIMEOUT_MS = 1_000;
/** Loop turns per step of the manual clock: enough for the polled completions and promise jobs. */
const TURNS_PER_STEP = 20;
const STEP_MS = 50;
/** A ring small enough to fill. */
const RING = 4;

function rig(options: { maxRecoveriesPerMinute?: number; queueSize?: number } = {}) {
  const clock = new ManualScheduler();
  const sim = simDisk({
    sectors: 256,
    queueSize: options.queueSize,
    device: { scheduler: clock, requestTimeoutMs: TIMEOUT_MS, maxRecoveriesPerMinute: options.maxRecoveriesPerMinute },
  });
  const device = sim.probe.devices[0].device!;
  // Live DMA regions of the whole machine (driver, block layer and test buffers alike).
  let live = 0;
  const alloc = sim.machine.allocDma.bind(sim.machine);
  const free = sim.machine.freeDma.bind(sim.machine);
  vi.spyOn(sim.machine, "allocDma").mockImplementation((size, opts) => {
    live++;
    return alloc(size, opts);
  });
  vi.spyOn(sim.machine, "freeDma").mockImplementation((region) => {
    live--;
    free(region);
  });
  return { ...sim, clock, device, liveDma: () => live };
}

async function turns(loop: EventLoop, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    loop.tick();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Turns the loop while the manual clock moves on in steps, for at most `limitMs` of clock time;
 * returns the outcome, or "pending" if the promise never settled.
 */
async function within<T>(loop: EventLoop, clock: ManualScheduler, promise: Promise<T>, limitMs: number) {
  let outcome = "pending" as PromiseSettledResult<T> | "pending";
  promise.then(
    (value) => (outcome = { status: "fulfilled", value }),
    (reason: unknown) => (outcome = { status: "rejected", reason }),
  );
  for (let elapsed = 0; outcome === "pending"; elapsed += STEP_MS) {
    await turns(loop, TURNS_PER_STEP);
    if (outcome !== "pending" || elapsed >= limitMs) break;
    await clock.advance(STEP_MS);
  }
  return outcome;
}

/** The promise's value once it settled within `limitMs`; throws its rejection, or that it never settled. */
async function settled<T>(loop: EventLoop, clock: ManualScheduler, promise: Promise<T>, limitMs = TIMEOUT_MS * 3): Promise<T> {
  const outcome = await within(loop, clock, promise, limitMs);
  if (outcome === "pending") throw new Error(`still pending after ${limitMs} ms`);
  if (outcome.status === "rejected") throw outcome.reason;
  return outcome.value;
}

async function rejection(loop: EventLoop, clock: ManualScheduler, promise: Promise<unknown>, limitMs = TIMEOUT_MS * 3): Promise<unknown> {
  const outcome = await within(loop, clock, promise, limitMs);
  expect(outcome, `not settled within ${limitMs} ms`).not.toBe("pending");
  expect(outcome).toMatchObject({ status: "rejected" });
  return (outcome as PromiseRejectedResult).reason;
}

describe("block requests never hang; the disk comes back", () => {
  it("a dropped write fails with BlockTimeoutError at its deadline, the device is reset without leaking, and the disk serves again", async () => {
    const { loop, clock, disk, model, blk, device, liveDma, machine } = rig();
    await settled(loop, clock, disk.write(1, pattern(BLOCK, 1)));
    const driverRegions = device.platform.dmaRegions;
    const machineRegions = liveDma();

    model.blkFaults.lose.set(BlkRequestType.Out, 1);
    const lost = disk.write(2, pattern(BLOCK, 2));
    // Just before the deadline nothing has happened yet.
    expect(await within(loop, clock, lost, TIMEOUT_MS - 2 * STEP_MS)).toBe("pending");
    const error = await rejection(loop, clock, lost);
    expect(error).toBeInstanceOf(BlockTimeoutError);
    expect(isBlockError(error, "timeout")).toBe(true);
    expect((error as Error).message).toMatch(/write block 2 \(512 bytes\): no answer within 1000 ms/);
    expect(model.lostRequests).toBe(1);

    // Reset and initialised again: a new driver instance on the same device, nothing leaked.
    expect(disk.recoveries).toBe(1);
    expect(disk.offline).toBeUndefined();
    expect(disk.driver).not.toBe(blk);
    expect(disk.driver).toBe(device.instance);
    expect(device.state).toBe("ready");
    expect((disk.driver as VirtioBlk).serial).toBe(blk.serial);
    expect(device.platform.dmaRegions).toBe(driverRegions);
    expect(liveDma()).toBe(machineRegions);

    await settled(loop, clock, disk.write(2, pattern(BLOCK, 3)));
    expect(await settled(loop, clock, disk.read(1, new Uint8Array(BLOCK)))).toEqual(pattern(BLOCK, 1));
    expect(await settled(loop, clock, disk.read(2, new Uint8Array(BLOCK)))).toEqual(pattern(BLOCK, 3));
    expect(model.disk.subarray(2 * BLOCK, 3 * BLOCK)).toEqual(pattern(BLOCK, 3));
    // Idle again: no deadline timer left behind.
    await turns(loop, TURNS_PER_STEP);
    expect(clock.pendingTimers).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("fails every request the device held, and runs the calls queued behind them on the recovered device", async () => {
    const { loop, clock, disk, model, machine } = rig({ queueSize: RING });
    model.blkFaults.lose.set(BlkRequestType.Out, RING);
    const held = Array.from({ length: RING }, (_, i) => disk.write(i, pattern(BLOCK, i)));
    await turns(loop, 2);
    await clock.advance(TIMEOUT_MS / 2);
    // The ring is full: these wait in the queue for the device to come back.
    const write = disk.write(8, pattern(BLOCK, 8));
    const read = disk.read(8, new Uint8Array(BLOCK));
    expect(disk.queued).toBe(2);
    for (const outcome of await settled(loop, clock, Promise.allSettled(held))) {
      expect(outcome).toMatchObject({ status: "rejected", reason: expect.any(BlockTimeoutError) });
    }
    await settled(loop, clock, write);
    expect(await settled(loop, clock, read)).toEqual(pattern(BLOCK, 8));
    expect(model.lostRequests).toBe(RING);
    expect(disk.recoveries).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("a call that waits in the queue past its deadline fails without reaching the device; the device is not reset", async () => {
    const clock = new ManualScheduler();
    const { loop, disk, model, machine } = simDisk({
      sectors: 256,
      // One bounce buffer of one block: a plain-memory write goes to the device a block at a time.
      device: { scheduler: clock, requestTimeoutMs: TIMEOUT_MS, bounceBuffers: 1, bounceBufferBytes: BLOCK },
    });
    model.holdCompletions = true;
    const long = disk.write(0, pattern(4 * BLOCK, 1));
    const behind = disk.write(10, pattern(BLOCK, 2));
    await turns(loop, 2);
    await clock.advance(TIMEOUT_MS * 0.6);
    model.releaseHeld(0);
    await turns(loop, 2);
    // The second block of the long write is now on the device with a fresh deadline; the call
    // behind it has waited since the start.
    const error = await rejection(loop, clock, behind, TIMEOUT_MS * 0.5);
    expect(error).toBeInstanceOf(BlockTimeoutError);
    expect((error as Error).message).toMatch(/write block 10 \(512 bytes\): not sent to the device within 1000 ms/);
    model.holdCompletions = false;
    model.releaseHeld(0);
    await settled(loop, clock, long);
    expect(model.disk.subarray(0, 4 * BLOCK)).toEqual(pattern(4 * BLOCK, 1));
    expect(model.disk.subarray(10 * BLOCK, 11 * BLOCK)).toEqual(new Uint8Array(BLOCK));
    expect(disk.recoveries).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("a broken ring (a used id not in flight) recovers the same way", async () => {
    const { loop, clock, disk, model, blk, device, liveDma, machine } = rig();
    await settled(loop, clock, disk.write(1, pattern(BLOCK, 1)));
    const driverRegions = device.platform.dmaRegions;
    const machineRegions = liveDma();

    model.holdCompletions = true;
    const write = disk.write(2, pattern(BLOCK, 2));
    await turns(loop, 2);
    model.holdCompletions = false;
    model.faults.usedId = "out-of-range";
    model.releaseHeld(0);
    model.faults.usedId = "ok";
    // Failed at once by the driver (not at the deadline), never acknowledged.
    expect(await within(loop, clock, write, 0)).toMatchObject({ status: "rejected", reason: expect.any(VirtioRingBrokenError) });
    expect(disk.recoveries).toBe(1);
    expect(disk.driver).not.toBe(blk);
    expect(device.state).toBe("ready");
    expect(device.platform.dmaRegions).toBe(driverRegions);
    expect(liveDma()).toBe(machineRegions);

    await settled(loop, clock, disk.write(3, pattern(BLOCK, 3)));
    expect(await settled(loop, clock, disk.read(3, new Uint8Array(BLOCK)))).toEqual(pattern(BLOCK, 3));
    expect(await settled(loop, clock, disk.read(1, new Uint8Array(BLOCK)))).toEqual(pattern(BLOCK, 1));
    assertNoViolations(machine.violations);
  });

  it("a device that sets DEVICE_NEEDS_RESET fails what it held at once, is reset and serves again", async () => {
    const { loop, clock, disk, model, blk, device, liveDma, machine } = rig();
    await settled(loop, clock, disk.write(1, pattern(BLOCK, 1)));
    const machineRegions = liveDma();
    model.holdCompletions = true;
    const write = disk.write(2, pattern(BLOCK, 2));
    await turns(loop, 2);
    model.enterNeedsReset();
    // What the device holds now is lost with the reset; what comes after it is answered.
    model.holdCompletions = false;
    // Failed well before the request's deadline, never acknowledged.
    const outcome = await within(loop, clock, write, TIMEOUT_MS / 2);
    expect(outcome).toMatchObject({ status: "rejected", reason: expect.any(VirtioRingBrokenError) });
    expect(((outcome as PromiseRejectedResult).reason as VirtioRingBrokenError).code).toBe("device-needs-reset");
    expect(device.needsResets).toBe(1);
    expect(disk.recoveries).toBe(1);
    expect(disk.driver).not.toBe(blk);
    expect(device.state).toBe("ready");
    expect(liveDma()).toBe(machineRegions);
    await settled(loop, clock, disk.write(3, pattern(BLOCK, 3)));
    expect(await settled(loop, clock, disk.read(1, new Uint8Array(BLOCK)))).toEqual(pattern(BLOCK, 1));
    expect(model.disk.subarray(3 * BLOCK, 4 * BLOCK)).toEqual(pattern(BLOCK, 3));
    expect(device.needsResets).toBe(1);
    assertNoViolations(machine.violations);
  });

  it("gives up a device that keeps failing after the recovery limit: it is stopped and every call is refused at once", async () => {
    const { loop, clock, disk, model, device, machine } = rig({ maxRecoveriesPerMinute: 2 });
    model.blkFaults.lose.set(BlkRequestType.Out, Number.POSITIVE_INFINITY);
    for (let i = 0; i < 2; i++) {
      expect(await rejection(loop, clock, disk.write(i, pattern(BLOCK, i)))).toBeInstanceOf(BlockTimeoutError);
      expect(disk.recoveries).toBe(i + 1);
    }
    expect(await rejection(loop, clock, disk.write(2, pattern(BLOCK, 2)))).toBeInstanceOf(BlockTimeoutError);
    expect(disk.offline).toBeInstanceOf(BlockOfflineError);
    expect(disk.offline?.code).toBe("recovery-limit");
    expect(isBlockError(disk.offline, "offline")).toBe(true);
    expect(device.state).toBe("failed");
    expect(device.platform.dmaRegions).toBe(0);
    // Refused without waiting for any deadline.
    expect(await within(loop, clock, disk.read(0, new Uint8Array(BLOCK)), 0)).toMatchObject({ status: "rejected", reason: disk.offline });
    expect(await within(loop, clock, disk.flush(), 0)).toMatchObject({ status: "rejected", reason: disk.offline });
    expect(clock.pendingTimers).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("allows the limit again once a minute has passed since the oldest reset", async () => {
    const { loop, clock, disk, model } = rig({ maxRecoveriesPerMinute: 1 });
    model.blkFaults.lose.set(BlkRequestType.Out, 1);
    await rejection(loop, clock, disk.write(0, pattern(BLOCK, 0)));
    await clock.advance(60_000);
    model.blkFaults.lose.set(BlkRequestType.Out, 1);
    await rejection(loop, clock, disk.write(0, pattern(BLOCK, 0)));
    expect(disk.recoveries).toBe(2);
    expect(disk.offline).toBeUndefined();
    await settled(loop, clock, disk.write(0, pattern(BLOCK, 7)));
  });

  it("refuses a device that comes back as another disk (a different capacity)", async () => {
    const { loop, clock, disk, model, device } = rig();
    const blocks = disk.info.blocks;
    // Changed behind the driver's back (no configuration change signalled): only a reset reveals it.
    new DataView(model.config.buffer).setBigUint64(BlkConfig.Capacity, BigInt(blocks * 2), true);
    model.blkFaults.lose.set(BlkRequestType.Out, 1);
    expect(await rejection(loop, clock, disk.write(0, pattern(BLOCK, 0)))).toBeInstanceOf(BlockTimeoutError);
    expect(disk.offline).toBeInstanceOf(BlockIdentityError);
    expect(disk.offline?.message).toMatch(new RegExp(`${blocks * 2} blocks of 512 bytes, not ${blocks}`));
    expect(device.state).toBe("failed");
    expect(await within(loop, clock, disk.read(0, new Uint8Array(BLOCK)), 0)).toMatchObject({ status: "rejected", reason: disk.offline });
  });

  it("a key-value put during a stall rejects instead of hanging; later puts work and acknowledged keys read back", async () => {
    const { loop, clock, disk, model } = rig();
    const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));
    const store = await settled(loop, clock, KvStore.open(disk));
    await settled(loop, clock, store.put("a", new TextEncoder().encode("one")));
    await settled(loop, clock, store.put("b", new TextEncoder().encode("two")));

    model.blkFaults.lose.set(BlkRequestType.Out, 1);
    // Before the deadlines existed this put never settled.
    const stalled = await within(loop, clock, store.put("c", new TextEncoder().encode("three")), TIMEOUT_MS * 3);
    expect(stalled).not.toBe("pending");
    // The store reports the disk's failure as its own typed error.
    expect(stalled).toMatchObject({ status: "rejected", reason: expect.any(KvError) });
    expect((stalled as PromiseRejectedResult).reason.code).toBe("io");
    expect(store.has("c")).toBe(false);

    await settled(loop, clock, store.put("d", new TextEncoder().encode("four")));
    expect(text(await settled(loop, clock, store.get("a")))).toBe("one");
    expect(text(await settled(loop, clock, store.get("b")))).toBe("two");
    expect(text(await settled(loop, clock, store.get("d")))).toBe("four");
    const reopened = await settled(loop, clock, KvStore.open(disk));
    expect(reopened.keys().sort()).toEqual(["a", "b", "d"]);
  });
});
