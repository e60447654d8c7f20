// The bounded wait for a device reset (virtio 1.2 section 4.1.4.3.2: the driver writes 0 and
// waits for device_status to read back 0): exactly where its deadline lies, and how often a
// device still resetting is asked again.
import { describe, expect, it } from "vitest";
import { VirtioStatusError } from "../../drivers/virtio/errors";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SIM_CLOCK_STEP_NS, SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { addVirtioPci } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { virtioFailure } from "./transport-harness";

const ONE_SECOND_NS = 1_000_000_000;
/** Linux waits 1 ms between status reads; a couple of those is still prompt. */
const PROMPT_NS = 2_000_000;

/** A modern rng device whose reset takes `lateReads` status reads to show. */
function rig(lateReads: number) {
  const machine = new SimMachine();
  const model = new RngModel(machine.memory, machine.violations);
  addVirtioPci(machine, model, { device: 3, layout: "modern" });
  const config = new PortPciConfig(machine.ports);
  const transport = createPciTransport(machine, config, enumeratePci(config)[0]);
  model.faults.resetLateReads = lateReads;
  return { machine, model, transport };
}

describe("device reset deadline", () => {
  // Each clock read moves simulated time one step: with a timeout of one step, the first poll
  // after the status read falls exactly on the deadline.
  it("accepts a reset that shows on the read made at the deadline", () => {
    const { machine, transport } = rig(1);
    transport.reset(SIM_CLOCK_STEP_NS);
    expect(transport.getStatus()).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("gives up on a reset that shows only after the deadline", () => {
    const { transport } = rig(2);
    const error = virtioFailure(VirtioStatusError, "reset-timeout", () => transport.reset(SIM_CLOCK_STEP_NS));
    expect(error.deviceName).toBe("00:03.0");
  });

  it("asks a device still resetting again shortly, not at the end of the timeout", () => {
    const { machine, transport } = rig(1);
    const start = machine.monotonicNs();
    transport.reset(ONE_SECOND_NS);
    expect(machine.monotonicNs() - start).toBeLessThan(PROMPT_NS);
    assertNoViolations(machine.violations);
  });
});
