// The engine's heap under real work: every engine workload, on a small scale, computes in the
// guest what it computes under Node, with the size-class heap and with the C library's malloc.
import { describe, expect, it } from "vitest";
import { ENGINE_LINE, ENGINE_WORKLOADS } from "../../images/enginebench/workloads";
import { boot } from "../../scripts/lib/qemu";

const BOOT_TIMEOUT_MS = 120_000;
const SCALE = 0.05;

async function nodeChecksums(): Promise<Map<string, number>> {
  const checksums = new Map<string, number>();
  for (const workload of ENGINE_WORKLOADS) checksums.set(workload.name, await workload.run(Math.max(1, Math.round(workload.iterations * SCALE))));
  return checksums;
}

describe("the engine's heap", () => {
  for (const [heap, option] of [["the size-class heap", ""], ["the C library's malloc", "engine.malloc=libc"]] as const) {
    it(`runs every engine workload as Node does, on ${heap}`, async () => {
      const result = await boot({ app: "enginebench", append: `scale=${SCALE} ${option}`, timeoutMs: BOOT_TIMEOUT_MS });
      expect(result.status, result.output).toBe(0);
      const guest = new Map([...result.output.matchAll(ENGINE_LINE)].map((match) => [match[1], Number(match[3])]));
      expect(guest).toEqual(await nodeChecksums());
    });
  }
});
