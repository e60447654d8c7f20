// Which virtio-net offloads each guest negotiated, by the driver's own feature names: Vireo's from
// its boot report (`virtio <pci> type=net ... features=<hex>`), the Linux guest's from the line its
// init script prints from sysfs (`/sys/class/net/eth0/device/features`: one '0' or '1' per feature
// bit, bit 0 first, as the kernel's virtio bus shows the negotiated features).
import { featureNames } from "../../../drivers/virtio/features";
import { NET_FEATURE_NAMES } from "../../../drivers/virtio/net/constants";

/** The line the Linux guest's init script prints before the bits. */
export const LINUX_NET_FEATURES = "compare: linux net features";

/** Checksum and segmentation offloads, and the mergeable receive buffers large receives need. */
const OFFLOAD = /csum|tso|ecn|ufo|mrg-rxbuf/;

export function offloadNames(features: bigint): string[] {
  return featureNames(features, NET_FEATURE_NAMES).filter((name) => OFFLOAD.test(name));
}

/** The NIC's negotiated features from Vireo's boot report. */
export function vireoNetFeatures(output: string): bigint {
  const match = /^virtio \S+ type=net .*\bfeatures=([0-9a-f]+)\b/m.exec(output);
  if (!match) throw new Error(`Vireo's boot report names no net device:\n${output}`);
  return BigInt(`0x${match[1]}`);
}

/** The NIC's negotiated features from the Linux guest's console. */
export function linuxNetFeatures(output: string): bigint {
  const match = new RegExp(`^${LINUX_NET_FEATURES} ([01]+)$`, "m").exec(output);
  if (!match) throw new Error(`the Linux guest printed no "${LINUX_NET_FEATURES}" line:\n${output.slice(-4000)}`);
  return [...match[1]].reduce((features, bit, index) => (bit === "1" ? features | (1n << BigInt(index)) : features), 0n);
}
