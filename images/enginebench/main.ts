// The engine micro-benchmark (npm run bench -- engine): every workload of workloads.ts, timed with
// the guest's clock. Under QEMU -icount shift=0 that clock counts guest instructions.
// `scale=F` multiplies every workload's iterations; `only=NAME` runs one workload.
import { start } from "../../kernel/start";
import { ENGINE_WORKLOADS, formatEngineLine } from "./workloads";

start(async ({ platform, commandLine }) => {
  const scale = Number(commandLine.get("scale") ?? 1);
  if (!(scale > 0)) throw new RangeError(`scale=${commandLine.get("scale")} is not a positive number`);
  const only = commandLine.get("only");
  for (const workload of ENGINE_WORKLOADS) {
    if (only !== undefined && workload.name !== only) continue;
    const iterations = Math.max(1, Math.round(workload.iterations * scale));
    const begin = platform.monotonicNs();
    const checksum = await workload.run(iterations);
    const elapsed = platform.monotonicNs() - begin;
    console.log(formatEngineLine(workload.name, elapsed / iterations, checksum));
  }
  return 0;
});
