// A polled virtio-net device notices configuration changes (link state) by checking at most once
// per interval: a change is seen at the first poll after the interval, never before.
import { describe, expect, it } from "vitest";
import type { VirtioPciLayout } from "../sim/virtio/pci-device";
import { netRig } from "./netdrv-harness";

const INTERVAL_NS = 1_000_000;

describe("virtio-net configuration polling interval", () => {
  it.each(["modern", "legacy"] as VirtioPciLayout[])("%s: a link change waits for the next check", (layout) => {
    const { machine, model, net } = netRig({ layout, driver: { configPollIntervalNs: INTERVAL_NS } });
    const seen: boolean[] = [];
    net.onLinkChange((up) => seen.push(up));
    net.poll();
    model.setLinkUp(false);
    for (let i = 0; i < 5; i++) net.poll();
    expect(net.linkUp).toBe(true);
    expect(seen).toEqual([]);

    machine.waitForInterrupt(machine.monotonicNs() + 2 * INTERVAL_NS);
    net.poll();
    expect(net.linkUp).toBe(false);
    expect(seen).toEqual([false]);

    // The next check is again a whole interval later.
    model.setLinkUp(true);
    net.poll();
    expect(net.linkUp).toBe(false);
    machine.waitForInterrupt(machine.monotonicNs() + 2 * INTERVAL_NS);
    net.poll();
    expect(seen).toEqual([false, true]);
    expect(net.counters.linkChanges).toBe(2);
  });
});
