import { VirtioBlk } from "../../drivers/virtio/blk/blk";
import type { BlockDevice } from "../../runtime/block/device";

/** The disk's virtio-blk driver, for the counters and sector figures this image reports. */
export function virtioBlkOf(disk: BlockDevice): VirtioBlk {
  const driver = disk.driver;
  if (!(driver instanceof VirtioBlk)) throw new Error(`${disk.name} is not driven by virtio-blk`);
  return driver;
}
