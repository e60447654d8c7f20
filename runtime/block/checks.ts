import { BlockAlignmentError, BlockRangeError } from "./errors";
import type { BlockInfo } from "./info";

/** The error for reading or writing `bytes` at block `lba`, or undefined when it is valid. */
export function checkTransfer(info: BlockInfo, what: string, lba: number, bytes: number): Error | undefined {
  if (bytes % info.blockSize !== 0) {
    return new BlockAlignmentError(info.name, "length", `${what} of ${bytes} bytes is not a multiple of the ${info.blockSize}-byte block`);
  }
  return checkBlocks(info, what, lba, bytes / info.blockSize);
}

/** The error for `count` blocks at `lba`, or undefined when they lie within the device. */
export function checkBlocks(info: BlockInfo, what: string, lba: number, count: number): Error | undefined {
  if (!Number.isSafeInteger(lba) || lba < 0) return new BlockRangeError(info.name, "lba", `${what}: ${lba} is not a block number`);
  if (!Number.isSafeInteger(count) || count < 0) return new BlockRangeError(info.name, "count", `${what}: ${count} is not a block count`);
  if (lba + count > info.blocks) {
    return new BlockRangeError(info.name, "lba", `${what}: blocks ${lba}..${lba + count - 1} beyond the last block ${info.blocks - 1}`);
  }
  return undefined;
}
