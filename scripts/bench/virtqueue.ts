// Driver-side cost of one submit + kick + complete round trip on the simulated virtio device,
// under Node and under QuickJS in the guest.
import { benchRoundTrip } from "../../test/harness/bench-virtqueue";
import { buildApps } from "../lib/build-apps";
import { boot } from "../lib/qemu";

const NODE_ITERATIONS = 200_000;
const GUEST_ITERATIONS = 20_000;
const GUEST_TIMEOUT_MS = 300_000;
const nodeNow = (): number => Number(process.hrtime.bigint());

export async function benchVirtqueue(): Promise<void> {
  await buildApps(["vqbench"]);
  const node = { split: benchRoundTrip(NODE_ITERATIONS, nodeNow, "split"), packed: benchRoundTrip(NODE_ITERATIONS, nodeNow, "packed") };
  for (const layout of ["split", "packed"] as const) console.log(`virtqueue: ${layout} ${node[layout].toFixed(0)} ns/op under Node (${NODE_ITERATIONS} round trips)`);
  const result = await boot({ app: "vqbench", append: `iterations=${GUEST_ITERATIONS}`, timeoutMs: GUEST_TIMEOUT_MS });
  if (result.status !== 0) throw new Error(`vqbench failed:\n${result.output}`);
  for (const layout of ["split", "packed"] as const) {
    const match = new RegExp(`virtqueue round trip \\(${layout}\\): (\\d+) ns/op`).exec(result.output);
    if (!match) throw new Error(`vqbench printed no ${layout} figure:\n${result.output}`);
    const guest = Number(match[1]);
    console.log(`virtqueue: ${layout} ${guest} ns/op under QuickJS in the guest (${GUEST_ITERATIONS} round trips, TCG); QuickJS/Node ratio ${(guest / node[layout]).toFixed(1)}`);
  }
}
