// virtio-blk GET_ID (identify): a bounded, paced wait for the answer, the typed errors when the
// ring cannot take the request or the device does not answer, and a serial that only GET_ID sets.
import { describe, expect, it } from "vitest";
import { VirtioTimeoutError, VirtioUsageError } from "../../drivers/virtio/errors";
import { BlkRequestType } from "../sim/virtio/blk-model";
import { simDisk } from "./blk-harness";
import { caught } from "../harness/caught";
import { recordWaits } from "../harness/record-waits";

describe("virtio-blk identify", () => {
  it("waits for a slow answer in steps of at most 100 us", () => {
    const { blk, machine, model } = simDisk({ sectors: 64, serial: "slow-disk" });
    model.holdCompletions = true;
    const waits = recordWaits(machine);
    let idle = 0;
    machine.onIdle(() => {
      if (++idle === 4) {
        model.holdCompletions = false;
        model.releaseHeld(0);
      }
    });
    expect(blk.identify(10_000_000)).toBe("slow-disk");
    expect(waits).toHaveLength(4);
    for (const wait of waits) expect(wait.until - wait.at).toBe(100_000);
  });

  it("gives up after the timeout with a typed error, having waited all of it", () => {
    const { blk, machine, model } = simDisk({ sectors: 64 });
    model.holdCompletions = true;
    const waits = recordWaits(machine);
    const start = machine.monotonicNs();
    const error = caught(() => blk.identify(1_000_000));
    expect(error).toBeInstanceOf(VirtioTimeoutError);
    expect(error).toMatchObject({ code: "get-id", detail: "no answer within 1000000 ns" });
    expect(machine.monotonicNs() - start).toBeGreaterThanOrEqual(1_000_000);
    for (const wait of waits) {
      expect(wait.until).toBeGreaterThan(wait.at);
      expect(wait.until - wait.at).toBeLessThanOrEqual(100_000);
    }
  });

  it("without a free request slot is a usage error", () => {
    const { blk, model } = simDisk({ sectors: 64, queueSize: 4 });
    model.holdCompletions = true;
    for (let i = 0; i < 4; i++) expect(blk.submitFlush()).toBeGreaterThanOrEqual(0);
    const error = caught(() => blk.identify());
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ code: "identify", detail: "no free request slot" });
  });

  it("on a ring without room for its chain is a usage error, and gives its slot back", () => {
    const { blk, machine, model } = simDisk({ sectors: 64, queueSize: 4, indirect: false });
    model.holdCompletions = true;
    // Header, data and status: 3 of the 4 descriptors; GET_ID needs 3 more.
    expect(blk.submitRead(0, machine.allocDma(512).physical, 512)).toBeGreaterThanOrEqual(0);
    const error = caught(() => blk.identify());
    expect(error).toBeInstanceOf(VirtioUsageError);
    expect(error).toMatchObject({ code: "identify", detail: "ring full" });
    expect(blk.inFlight).toBe(1);
  });

  it("a GET_ID answered UNSUPP keeps the serial it had", () => {
    const { blk, machine, model } = simDisk({ sectors: 64, serial: "disk-A" });
    expect(blk.serial).toBe("disk-A");
    // A request held in flight keeps the first identify's slot, so this one gets a fresh slot.
    model.holdCompletions = true;
    expect(blk.submitRead(0, machine.allocDma(512).physical, 512)).toBeGreaterThanOrEqual(0);
    model.holdCompletions = false;
    model.blkFaults.unsupported.add(BlkRequestType.GetId);
    expect(blk.identify()).toBe("disk-A");
    expect(blk.serial).toBe("disk-A");
  });

  it("the serial is not touched by other requests' completions", () => {
    const { blk, machine, model } = simDisk({ sectors: 64, serial: "disk-7" });
    expect(blk.serial).toBe("disk-7");
    const buffer = machine.allocDma(2048);
    model.holdCompletions = true;
    for (let i = 0; i < 4; i++) expect(blk.submitRead(i, buffer.physical + i * 512, 512)).toBeGreaterThanOrEqual(0);
    blk.kick();
    model.holdCompletions = false;
    model.releaseHeld(0);
    expect(blk.complete()).toBe(4);
    expect(blk.serial).toBe("disk-7");
  });
});
