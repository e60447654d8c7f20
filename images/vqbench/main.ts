// Runs the virtqueue round-trip benchmark under QuickJS in the guest, against the simulated
// device (the same code `npm run bench` runs under Node), and prints ns/op.
import { start } from "../../kernel/start";
import { benchDriverRoundTrip } from "../../test/harness/bench-driver-virtqueue";
import { benchRoundTrip } from "../../test/harness/bench-virtqueue";

const DEFAULT_ITERATIONS = 20_000;

start(({ platform, commandLine }) => {
  const iterations = Number(commandLine.get("iterations") ?? DEFAULT_ITERATIONS);
  const view = (physical: number, length: number): DataView => new DataView(platform.physicalView(physical, length));
  const layouts = ["split", "packed"] as const;
  for (const layout of layouts) {
    const driverOnly = benchDriverRoundTrip(platform, view, iterations, platform.monotonicNs, layout);
    console.log(`virtqueue driver round trip (${layout}): ${driverOnly.toFixed(0)} ns/op over ${iterations} iterations (QuickJS, guest)`);
  }
  if (commandLine.has("driver-only")) return 0;
  for (const layout of layouts) {
    const nsPerOp = benchRoundTrip(iterations, platform.monotonicNs, layout);
    console.log(`virtqueue round trip (${layout}): ${nsPerOp.toFixed(0)} ns/op over ${iterations} iterations (QuickJS, guest)`);
  }
  return 0;
});
