/** Registers every runtime suite: the engine and the Node-like runtime layer. */
import type { TestRegistry } from "../harness";
import { registerBinaryTests } from "./runtime-binary";
import { registerConsoleTests } from "./runtime-console";
import { registerErrorTests } from "./runtime-errors";
import { registerJsonTests } from "./runtime-json";
import { registerNumberTests } from "./runtime-numbers";
import { registerOrderingTests } from "./runtime-ordering";
import { registerTextTests } from "./runtime-text";
import { registerTimeTests } from "./runtime-time";

export function registerRuntimeSuites(t: TestRegistry, monotonicNs: () => number): void {
  registerOrderingTests(t);
  registerTimeTests(t, monotonicNs);
  registerNumberTests(t);
  registerJsonTests(t);
  registerBinaryTests(t);
  registerTextTests(t);
  registerErrorTests(t);
  registerConsoleTests(t);
}
