import { expect, it } from "vitest";
import { Harness } from "../../images/selftest/harness";
import { registerRuntimeSuites } from "../../images/selftest/suites/runtime-all";

it("passes every runtime selftest suite under Node", async () => {
  let output = "";
  const harness = new Harness((text) => (output += text));
  registerRuntimeSuites(harness, () => Number(process.hrtime.bigint()));
  const failed = await harness.run();
  const failures = output.split("\n").filter((line) => line.startsWith("not ok"));
  expect(failures).toEqual([]);
  expect(failed).toBe(0);
  expect(output).toMatch(/\n\d+ passed, 0 failed\n$/);
});
