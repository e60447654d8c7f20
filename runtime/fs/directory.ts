/**
 * The machine's virtio-9p shares by mount tag. `openShare(tag)` attaches the share on first use
 * (Tversion, Tattach) and hands every later caller the same Share.
 */
import type { VirtioNineP } from "../../drivers/virtio/9p/ninep";
import { FsError } from "./errors";
import { Share, type ShareOptions } from "./share";

/** The user the guest attaches as (with QEMU's security_model=none the host's own rights apply). */
const ATTACH_USER = "root";
const ATTACH_UID = 0;

const devices: VirtioNineP[] = [];
const opened = new Map<VirtioNineP, Promise<Share>>();

/** Makes these devices' shares openable by tag (startDevices does it for every virtio-9p device). */
export function adoptShares(shares: readonly VirtioNineP[]): void {
  for (const share of shares) if (!devices.includes(share)) devices.push(share);
}

/** The mount tags of every share found. */
export function listShares(): string[] {
  return devices.map((d) => d.tag);
}

/**
 * The share the host tagged `tag` (`-fsdev ...,id=X -device virtio-9p-pci,fsdev=X,mount_tag=TAG`),
 * attached. The first caller's options apply to everyone who opens the same share.
 */
export function openShare(tag: string, options?: ShareOptions): Promise<Share> {
  const device = devices.find((d) => d.tag === tag && d.client.failure === undefined);
  if (device === undefined) {
    const found = devices.map((d) => JSON.stringify(d.tag)).join(", ") || "none";
    return Promise.reject(new FsError("ENODEV", "mount", tag, `no share tagged ${JSON.stringify(tag)} (shares found: ${found})`));
  }
  let share = opened.get(device);
  if (share === undefined) {
    share = device.client.connect(ATTACH_USER, "", ATTACH_UID).then(() => new Share(tag, device.client, options));
    opened.set(device, share);
    // A failed attach is tried again by the next caller.
    share.catch(() => opened.delete(device));
  }
  return share;
}
