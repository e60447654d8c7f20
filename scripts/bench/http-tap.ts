// HTTP over QEMU's tap networking against the host's Linux TCP stack, with virtio-net's
// segmentation offloads and without them, side by side in one run: MB/s for a 1 MiB response
// (the guest sends through HOST_TSO4) and a 1 MiB upload (the host's segments arrive coalesced
// through GUEST_TSO4). The tap device lives in a network namespace made for the run (needs root);
// everything that talks to the guest runs inside it (http-tap-inside.ts).
import { join } from "node:path";
import { buildApps } from "../lib/build-apps";
import { TapNamespace } from "../lib/tap-namespace";

export const TAP_BENCH = { tap: "tap0", hostAddress: "10.79.0.1", guestAddress: "10.79.0.2", prefix: 24 } as const;
const INSIDE = join(import.meta.dirname, "http-tap-inside.ts");

export async function benchHttpTap(): Promise<void> {
  await buildApps(["demo"]);
  const namespace = TapNamespace.create({ name: `vireo-bench-${process.pid}`, tap: TAP_BENCH.tap, hostAddress: TAP_BENCH.hostAddress, prefix: TAP_BENCH.prefix });
  if (typeof namespace === "string") {
    console.log(`http-tap: skipped (${namespace})`);
    return;
  }
  try {
    process.stdout.write(await namespace.run(process.execPath, "--import", "tsx", INSIDE));
  } finally {
    namespace.delete();
  }
}
