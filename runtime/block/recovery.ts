import type { BlockDriver } from "../../drivers/block-driver";
import { BlockIdentityError } from "./errors";
import type { BlockInfo } from "./info";

/**
 * Why the driver a reset brought back is not the disk the app was using (another serial, block
 * size or capacity: data written for one must not land on the other), or undefined when it is.
 */
export function identityError(before: BlockInfo, after: BlockDriver): BlockIdentityError | undefined {
  const { blockSize, blocks } = after.geometry;
  if (after.name !== before.name) return new BlockIdentityError(before.name, `came back as "${after.name}"`);
  if (after.serial !== before.serial) return new BlockIdentityError(before.name, `came back with serial "${after.serial}", not "${before.serial}"`);
  if (blockSize !== before.blockSize || blocks !== before.blocks) {
    return new BlockIdentityError(before.name, `came back with ${blocks} blocks of ${blockSize} bytes, not ${before.blocks} of ${before.blockSize}`);
  }
  return undefined;
}
