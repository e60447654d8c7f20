// `blk=watch-resize`: waits (bounded) for the host to resize the disk, e.g. QMP block_resize, and
// checks the new end is readable. With interrupts bound, `disk.info` does not poll the device, so
// the new capacity can only arrive through the configuration-change interrupt.
import type { BlockDevice } from "../../runtime/block/device";
import { BlockRangeError } from "../../runtime/block/errors";
import { check, rejection, type Command } from "./commands";
import { virtioBlkOf } from "./virtio-blk";

const DEFAULT_TIMEOUT_MS = 30_000;
const POLL_MS = 10;
const NS_PER_MS = 1e6;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether a read of block `lba` is refused as beyond the end. */
async function refused(disk: BlockDevice, lba: number): Promise<boolean> {
  return (await rejection(disk.read(lba, new Uint8Array(disk.info.blockSize)))) instanceof BlockRangeError;
}

export const watchResize: Command = async (disk, args, now) => {
  const timeoutMs = Number(args.get("resize-timeout-ms") ?? DEFAULT_TIMEOUT_MS);
  const before = disk.info;
  check(await refused(disk, before.blocks), `read of block ${before.blocks} (one past the end) refused`);
  console.log(`blktest: watching capacity ${before.capacityBytes}`);
  const started = now();
  const deadline = started + timeoutMs * NS_PER_MS;
  while (disk.info === before) {
    check(now() <= deadline, `capacity changed from ${before.capacityBytes} within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
  const after = disk.info;
  const driver = virtioBlkOf(disk);
  console.log(
    `blktest: capacity ${before.capacityBytes} -> ${after.capacityBytes} interrupts=${driver.interruptMode} ` +
      `config-changes=${driver.configChanges} ms=${((now() - started) / NS_PER_MS).toFixed(0)}`,
  );
  const last = after.blocks - 1;
  const block = await disk.read(last, new Uint8Array(after.blockSize));
  check(block.every((b) => b === 0), `new last block ${last} reads as zeros`);
  check(await refused(disk, after.blocks), `read of block ${after.blocks} (one past the new end) refused`);
  return `last-block=${last} zero-filled`;
};
