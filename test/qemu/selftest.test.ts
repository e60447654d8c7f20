// The in-guest suite, booted on the real image: its last line counts what passed and failed.
import { describe, expect, it } from "vitest";
import { runSelftest } from "./lib/selftest";

describe("selftest image", () => {
  it("passes its in-guest suite on a machine without virtio devices", async () => {
    const result = await runSelftest({ append: "expect-virtio=0" });
    expect(result.failed, result.output).toBe(0);
    expect(result.passed).toBeGreaterThan(50);
    expect(result.status).toBe(0);
  });
});
