import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import type { Platform } from "../../kernel/platform";

const SECTOR_BYTES = 512;
const MAX_POLLS = 100;

/** Reads one sector through the driver alone (no runtime layer), polling for the completion. */
export function blkReadSector(platform: Platform, blk: VirtioBlk, sector: number): Uint8Array {
  const buffer = platform.allocDma(SECTOR_BYTES);
  let outcome: unknown = "pending";
  blk.onComplete = (_slot, error) => {
    outcome = error;
  };
  try {
    if (blk.submitRead(sector, buffer.physical, SECTOR_BYTES) < 0) throw new Error("no room for the read");
    blk.kick();
    for (let i = 0; i < MAX_POLLS && outcome === "pending"; i++) blk.complete();
    if (outcome === "pending") throw new Error("the read never completed");
    if (outcome !== undefined) throw outcome;
    return new Uint8Array(buffer.buffer.slice(0, SECTOR_BYTES));
  } finally {
    platform.freeDma(buffer);
  }
}
