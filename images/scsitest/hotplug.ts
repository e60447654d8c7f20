// `scsi=hotplug`: waits for a disk with serial `hot=` to be plugged in (printing `scsi waiting`
// first, for the host to act on), writes and reads back a pattern on it, then waits for it to be
// unplugged and checks that a read of it fails as offline. Bounded by `wait-s=` (default 60).
import { isBlockError } from "../../drivers/block-driver";
import type { BlockDevice } from "../../runtime/block/device";
import { watchBlockDevices } from "../../runtime/block/registry";
import type { Command } from "../blktest/commands";
import { check, rejection } from "../blktest/commands";

const DEFAULT_WAIT_S = 60;
const MS_PER_S = 1000;
const BYTES = 64 * 1024;

/** The next change `want` accepts, or a timeout error after `ms`. */
function next(want: (change: "added" | "removed", device: BlockDevice) => boolean, ms: number): Promise<BlockDevice> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching disk change within ${ms} ms`));
    }, ms);
    const stop = watchBlockDevices((change, device) => {
      if (!want(change, device)) return;
      clearTimeout(timer);
      stop();
      resolve(device);
    });
  });
}

export const hotplug: Command = async (_disk, args) => {
  const serial = args.get("hot") ?? "hot";
  const ms = Number(args.get("wait-s") ?? DEFAULT_WAIT_S) * MS_PER_S;
  const added = next((change, device) => change === "added" && device.info.serial === serial, ms);
  console.log("scsi waiting for plug");
  const hot = await added;
  const data = new Uint8Array(BYTES);
  for (let i = 0; i < BYTES; i++) data[i] = (i * 7 + 3) & 0xff;
  await hot.write(0, data);
  const back = await hot.read(0, new Uint8Array(BYTES));
  for (let i = 0; i < BYTES; i++) check(back[i] === data[i], `byte ${i} read back`);
  const removed = next((change, device) => change === "removed" && device === hot, ms);
  console.log(`scsi hot disk ${hot.name} blocks=${hot.info.blocks} verified; waiting for unplug`);
  await removed;
  const error = await rejection(hot.read(0, new Uint8Array(512)));
  check(isBlockError(error, "offline"), `read of the unplugged disk failed as offline (${String(error)})`);
  return `serial=${serial} plugged, verified, unplugged`;
};
