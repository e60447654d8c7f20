// A virtio-net control command the device never answers: the wait is bounded, and afterwards the
// control queue (whose buffer the device may still own) is not used again.
import { describe, expect, it } from "vitest";
import { VirtioDeviceError, VirtioTimeoutError, VirtioUsageError } from "../../drivers/virtio/errors";
import { NetQueue } from "../sim/virtio/net-model";
import { netRig } from "./netdrv-harness";

const TIMEOUT_NS = 200_000;

describe("virtio-net control queue without an answer", () => {
  it("gives up after the timeout, counts it, and refuses every later command", () => {
    const { machine, model, net } = netRig({ driver: { controlTimeoutNs: TIMEOUT_NS } });
    model.holdCompletions = true;
    const started = machine.monotonicNs();
    let thrown: unknown;
    try {
      net.setPromiscuous(true);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VirtioTimeoutError);
    expect(thrown).toMatchObject({ deviceName: "00:04.0", code: "ctrl-timeout", detail: `rx promisc: no ack within ${TIMEOUT_NS} ns` });
    const waited = machine.monotonicNs() - started;
    expect(waited).toBeGreaterThan(TIMEOUT_NS);
    expect(waited).toBeLessThan(2 * TIMEOUT_NS);
    expect(net.counters.ctrlCommands).toBe(1);
    expect(net.counters.ctrlErrors).toBe(1);

    // Even once the device answers, the queue stays out of use.
    model.holdCompletions = false;
    model.releaseHeld(NetQueue.Ctrl);
    expect(() => net.setAllMulticast(true)).toThrow(VirtioUsageError);
    expect(() => net.setAllMulticast(true)).toThrow("00:04.0: ctrl-unusable: rx allmulti: an earlier command never completed");
    expect(net.counters.ctrlCommands).toBe(1);
    expect(model.allMulticast).toBe(false);
  });

  it("an answer within the timeout is taken", () => {
    const { model, net } = netRig({ driver: { controlTimeoutNs: TIMEOUT_NS } });
    net.setPromiscuous(true);
    expect(model.promiscuous).toBe(true);
    expect(net.counters).toMatchObject({ ctrlCommands: 1, ctrlErrors: 0 });
  });

  it("an ack the device did not write (used length 0) is a device error, counted", () => {
    const { model, net } = netRig();
    model.faults.usedLengthExtra = -1;
    expect(() => net.setPromiscuous(true)).toThrow(VirtioDeviceError);
    expect(net.counters.lastDeviceError).toMatchObject({ code: "ctrl-ack" });
    expect(net.counters.lastDeviceError?.detail).toMatch(/^rx promisc: ack \d+ with used length 0$/);
    expect(net.counters.ctrlErrors).toBe(1);
    expect(net.counters.deviceErrors).toBe(1);
  });
});
