// Cost of one submit + kick + complete round trip, under Node and under QuickJS in the guest: the
// driver alone (the device reduced to the memory writes that return a buffer), then through the
// simulated virtio-rng on a split and on a packed ring (those figures include the simulator's work).
import { benchDriverRoundTrip } from "../../test/harness/bench-driver-virtqueue";
import { benchRoundTrip } from "../../test/harness/bench-virtqueue";
import { SimMachine } from "../../test/sim/machine";
import { buildApps } from "../lib/build-apps";
import { boot } from "../lib/qemu";

const NODE_ITERATIONS = 200_000;
const GUEST_ITERATIONS = 20_000;
const GUEST_TIMEOUT_MS = 300_000;
const nodeNow = (): number => Number(process.hrtime.bigint());
const LAYOUTS = ["split", "packed"] as const;

function driverFigure(output: string, layout: string): string {
  const match = new RegExp(`virtqueue driver round trip \\(${layout}\\): (\\d+) ns/op`).exec(output);
  if (!match) throw new Error(`vqbench printed no driver figure for ${layout}:\n${output}`);
  return match[1];
}

export async function benchVirtqueue(): Promise<void> {
  await buildApps(["vqbench"]);
  const node = { split: benchRoundTrip(NODE_ITERATIONS, nodeNow, "split"), packed: benchRoundTrip(NODE_ITERATIONS, nodeNow, "packed") };
  for (const layout of ["split", "packed"] as const) console.log(`virtqueue: ${layout} ${node[layout].toFixed(0)} ns/op under Node (${NODE_ITERATIONS} round trips)`);
  const machine = new SimMachine();
  const simView = (physical: number, length: number): DataView => {
    const view = machine.memory.dataView(physical, length);
    if (view === undefined) throw new Error(`no simulated memory at 0x${physical.toString(16)}`);
    return view;
  };
  for (const layout of LAYOUTS) {
    const nodeDriver = benchDriverRoundTrip(machine, simView, NODE_ITERATIONS, nodeNow, layout);
    console.log(`virtqueue: driver alone, ${layout} ${nodeDriver.toFixed(0)} ns/op under Node (the device reduced to memory writes)`);
  }
  const result = await boot({ app: "vqbench", append: `iterations=${GUEST_ITERATIONS}`, timeoutMs: GUEST_TIMEOUT_MS });
  if (result.status !== 0) throw new Error(`vqbench failed:\n${result.output}`);
  for (const layout of LAYOUTS) {
    console.log(`virtqueue: driver alone, ${layout} ${driverFigure(result.output, layout)} ns/op under QuickJS in the guest (${GUEST_ITERATIONS} round trips, TCG)`);
  }
  // With -icount shift=0 the guest's clock advances one nanosecond per guest instruction, so these
  // figures count instructions and do not move with the host's load as the timings above do.
  const counted = await boot({ app: "vqbench", append: `iterations=${GUEST_ITERATIONS} driver-only`, qemuArgs: ["-icount", "shift=0"], timeoutMs: GUEST_TIMEOUT_MS });
  if (counted.status !== 0) throw new Error(`vqbench under -icount failed:\n${counted.output}`);
  for (const layout of LAYOUTS) {
    console.log(`virtqueue: driver alone, ${layout} ${driverFigure(counted.output, layout)} guest instructions/op (QEMU -icount shift=0, independent of host load)`);
  }
  for (const layout of LAYOUTS) {
    const match = new RegExp(`virtqueue round trip \\(${layout}\\): (\\d+) ns/op`).exec(result.output);
    if (!match) throw new Error(`vqbench printed no ${layout} figure:\n${result.output}`);
    const guest = Number(match[1]);
    console.log(`virtqueue: ${layout} ${guest} ns/op under QuickJS in the guest (${GUEST_ITERATIONS} round trips, TCG); QuickJS/Node ratio ${(guest / node[layout]).toFixed(1)}`);
  }
}
