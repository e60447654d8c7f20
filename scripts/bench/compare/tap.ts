// The tap network of `bench -- compare`: a tap device (with the virtio-net header, so the guests
// can negotiate checksum and segmentation offloads) in a network namespace made for the run, the
// host's Linux TCP stack at the other end. The guest's address exists only in there, so QEMU runs
// inside, and so does the HTTP load (http-inside.ts, a process of its own).
import { join } from "node:path";
import { TapNamespace } from "../../lib/tap-namespace";
import type { CompareNetwork } from "./machine";
import type { Side } from "./rows";

const COMPARE_TAP = { tap: "tap0", hostAddress: "10.79.1.1", guestAddress: "10.79.1.2", prefix: 24 } as const;
const GUEST_HTTP_PORT = 80;
/** The suffix of the tap rows' names. */
export const TAP_NETWORK_NAME = "tap";
const INSIDE = join(import.meta.dirname, "http-inside.ts");

/** Creates the namespace and its tap device, or returns why this machine cannot (no root, no ip netns). */
export function createTapNamespace(): TapNamespace | string {
  return TapNamespace.create({ name: `vireo-compare-${process.pid}`, tap: COMPARE_TAP.tap, hostAddress: COMPARE_TAP.hostAddress, prefix: COMPARE_TAP.prefix });
}

export function tapNetwork(namespace: TapNamespace): CompareNetwork {
  return {
    name: TAP_NETWORK_NAME,
    netdev: namespace.netdev,
    wrapper: namespace.wrapper,
    guestAddress: `${COMPARE_TAP.guestAddress}/${COMPARE_TAP.prefix}`,
    measureHttp: async () => JSON.parse(await namespace.run(process.execPath, "--import", "tsx", INSIDE, COMPARE_TAP.guestAddress, String(GUEST_HTTP_PORT))) as Side,
  };
}
