import { describe, expect, it } from "vitest";
import { BlkDeviceError } from "../../drivers/virtio/blk/errors";
import { assertNoViolations } from "../sim/violations";
import { pattern, run, simDisk } from "./blk-harness";

describe("blk status byte the device never writes", () => {
  it("is left as the driver set it, and the driver's sentinel is what makes it an error", async () => {
    const { disk, blk, loop, model, machine } = simDisk({ sectors: 64 });
    await run(loop, disk.write(0, pattern(512, 1)));
    // The request slot that just completed holds status OK (0), written by the device; the next
    // request reuses it. Only a driver that sets its own sentinel before submitting can tell that
    // this time the device wrote nothing.
    await run(loop, disk.read(0, new Uint8Array(512)));
    model.blkFaults.status = "unwritten";
    const error = (await run(loop, disk.read(0, new Uint8Array(512))).catch((e: unknown) => e)) as BlkDeviceError;
    expect(error).toBeInstanceOf(BlkDeviceError);
    expect(error.code).toBe("status");
    expect(blk.deviceErrors).toBe(1);
    assertNoViolations(machine.violations);
  });
});
