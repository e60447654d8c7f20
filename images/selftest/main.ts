// The in-guest test suite: JavaScript runtime, platform primitives, and every virtio device the
// machine has. Prints one line per test and `N passed, M failed` last; exits with the failure count.
import { start } from "../../kernel/start";
import { startDevices } from "../../runtime/devices";
import { Harness } from "./harness";
import { byteLoopSuite } from "./suites/byte-loops";
import { interruptSuite } from "./suites/interrupts";
import { platformSuite } from "./suites/platform";
import { registerRuntimeSuites } from "./suites/runtime-all";
import { virtioSuite } from "./suites/virtio";
import { virtioInterruptSuite } from "./suites/virtio-interrupts";

start(async (system) => {
  const { platform, interrupts, commandLine } = system;
  const devices = startDevices(system);
  const harness = new Harness((text) => platform.serialWrite(text));
  registerRuntimeSuites(harness, platform.monotonicNs);
  const machine = commandLine.get("expect-machine") ?? "pc";
  platformSuite(harness, platform, machine);
  byteLoopSuite(harness);
  interruptSuite(harness, platform.ports, interrupts, machine);
  virtioSuite(harness, devices, commandLine);
  virtioInterruptSuite(harness, devices, commandLine, (text) => platform.serialWrite(text));
  const failed = await harness.run();
  return failed === 0 ? 0 : 1;
});
