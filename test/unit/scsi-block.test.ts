// A SCSI logical unit through the same block API and key-value store as virtio-blk.
import { describe, expect, it } from "vitest";
import { readWrite } from "../../drivers/virtio/scsi/commands";
import { KvStore } from "../../runtime/kv/store";
import { assertNoViolations } from "../sim/violations";
import { OPCODE } from "../sim/scsi-target";
import { run, settle } from "./blk-harness";
import { scsiRig } from "./scsi-harness";

const BLOCK = 512;

describe("virtio-scsi: the block API on a logical unit", () => {
  it("discards with UNMAP where the unit's VPD pages offer it, within its limit", async () => {
    const rig = scsiRig({ units: [[0, 0, { blocks: 256, unmap: true }], [0, 1, { blocks: 256 }]] });
    const [thin, thick] = rig.scsi.units.map(rig.disk);
    const lu = rig.model.unit(0, 0)!;
    lu.disk.fill(0xee);
    await run(rig.loop, thin.discard(8, 16));
    expect(lu.unmapped).toBe(16);
    expect(lu.disk.subarray(8 * BLOCK, 24 * BLOCK).every((b) => b === 0)).toBe(true);
    expect(lu.disk[7 * BLOCK]).toBe(0xee);
    expect(thin.info.discard).toBe(true);
    const [refused] = await settle(rig.loop, [thick.discard(0, 1)]);
    expect(refused).toMatchObject({ status: "rejected", reason: { failure: "unsupported" } });
    expect(rig.model.unit(0, 1)!.counts.get(OPCODE.UNMAP)).toBeUndefined();
    assertNoViolations(rig.machine.violations);
  });

  it("uses READ/WRITE(16) only beyond what the 10-byte commands address", () => {
    const cdb = new DataView(new ArrayBuffer(32));
    expect(readWrite(cdb, false, 0xffff_fff0, 16)).toBe(10);
    expect(cdb.getUint8(0)).toBe(OPCODE.READ_10);
    expect(readWrite(cdb, true, 0xffff_fff0, 17)).toBe(16);
    expect([cdb.getUint8(0), cdb.getUint32(2), cdb.getUint32(6), cdb.getUint32(10)]).toEqual([OPCODE.WRITE_16, 0, 0xffff_fff0, 17]);
    expect(readWrite(cdb, false, 5, 0x10000)).toBe(16);
    expect([cdb.getUint8(0), cdb.getUint32(10)]).toEqual([OPCODE.READ_16, 0x10000]);
    // The 10-byte forms carry a 16-bit transfer length: 0xffff blocks still fit.
    expect(readWrite(cdb, false, 5, 0xffff)).toBe(10);
    expect([cdb.getUint8(0), cdb.getUint16(7)]).toEqual([OPCODE.READ_10, 0xffff]);
    // A 64-bit LBA, big-endian: high word first.
    expect(readWrite(cdb, false, 2 ** 32 * 3 + 5, 1)).toBe(16);
    expect([cdb.getUint32(2), cdb.getUint32(6)]).toEqual([3, 5]);
  });

  it("keeps a key-value store, which reads back after the store is opened again", async () => {
    const rig = scsiRig({ units: [[0, 0, { blocks: 4096, writeCache: true }]] });
    const disk = rig.disk(rig.scsi.units[0]);
    const store = await run(rig.loop, KvStore.open(disk));
    await run(rig.loop, store.put("answer", new TextEncoder().encode("42")));
    const again = await run(rig.loop, KvStore.open(disk));
    expect(new TextDecoder().decode(await run(rig.loop, again.get("answer")))).toBe("42");
    expect(rig.model.unit(0, 0)!.flushes).toBeGreaterThan(0);
    assertNoViolations(rig.machine.violations);
  });
});
