import type { VirtioDevice } from "../device";
import { VirtioConfigError } from "../errors";
import { MAX_TAG_BYTES, NINEP_CONFIG, NinePFeature } from "./constants";

const DECODER = new TextDecoder("utf-8", { fatal: true });

/**
 * The mount tag, read under one config generation: tag_len bytes (1..255) of UTF-8 with no NUL.
 * A device without MOUNT_TAG has no tag ("").
 */
export function readMountTag(device: VirtioDevice): string {
  if (!device.has(NinePFeature.MountTag)) return "";
  const transport = device.transport;
  const bytes = transport.readConfigStable(() => {
    const length = transport.readConfig(NINEP_CONFIG.tag_len);
    if (length === 0 || length > MAX_TAG_BYTES) throw new VirtioConfigError(device.name, "tag_len", `${length} is outside 1..${MAX_TAG_BYTES}`);
    const tag = new Uint8Array(length);
    for (let i = 0; i < length; i++) tag[i] = transport.readConfig(NINEP_CONFIG.tag, i);
    return tag;
  });
  let tag: string;
  try {
    tag = DECODER.decode(bytes);
  } catch {
    throw new VirtioConfigError(device.name, "tag", "the mount tag is not UTF-8");
  }
  if (tag.includes("\0")) throw new VirtioConfigError(device.name, "tag", `mount tag ${JSON.stringify(tag)} holds a NUL`);
  return tag;
}
