// virtio-net driver: link state from the STATUS field, noticed by polling for configuration changes.
import { describe, expect, it } from "vitest";
import { assertNoViolations } from "../sim/violations";
import { NetFeature } from "../sim/virtio/net-model";
import type { VirtioPciLayout } from "../sim/virtio/pci-device";
import { netRig } from "./netdrv-harness";

describe("virtio-net link state", () => {
  it.each(["modern", "legacy"] as VirtioPciLayout[])("reports a link flap on the %s interface", (layout) => {
    const { machine, model, net } = netRig({ layout });
    const seen: boolean[] = [];
    net.onLinkChange((up) => seen.push(up));
    net.poll();
    expect(seen).toEqual([]);
    model.setLinkUp(false);
    net.poll();
    expect(net.linkUp).toBe(false);
    net.poll();
    model.setLinkUp(true);
    net.poll();
    model.setLinkUp(false);
    net.poll();
    model.setLinkUp(true);
    net.poll();
    expect(seen).toEqual([false, true, false, true]);
    expect(net.counters.linkChanges).toBe(4);
    assertNoViolations(machine.violations);
  });

  it("starts down when the device says so", () => {
    const { net } = netRig({ device: { linkUp: false } });
    expect(net.linkUp).toBe(false);
  });

  it("is always up without the STATUS feature", () => {
    const { model, net } = netRig({ device: { withhold: [NetFeature.Status], linkUp: false } });
    expect(net.linkUp).toBe(true);
    model.setLinkUp(false);
    net.poll();
    expect(net.linkUp).toBe(true);
  });

  it("checks the configuration at most once per interval", () => {
    const { machine, model, net } = netRig({ driver: { configPollIntervalNs: 1_000_000 } });
    model.setLinkUp(false);
    net.poll();
    net.poll();
    machine.waitForInterrupt(machine.monotonicNs() + 2_000_000);
    net.poll();
    expect(net.linkUp).toBe(false);
  });
});

describe("virtio-net configuration that never settles", () => {
  it("is counted, keeps the old link state, and later changes still arrive", () => {
    const { model, net, probed } = netRig();
    const device = probed.device;
    const seen: boolean[] = [];
    net.onLinkChange((up) => seen.push(up));
    model.faults.configGenerationBumps = Infinity;
    model.setLinkUp(false);
    expect(() => net.poll()).not.toThrow();
    expect(net.linkUp).toBe(true);
    expect(device?.configErrors).toBe(1);
    expect(device?.lastConfigError?.code).toBe("config-unstable");
    model.faults.configGenerationBumps = 0;
    model.setLinkUp(true);
    model.setLinkUp(false);
    net.poll();
    expect(net.linkUp).toBe(false);
    expect(seen).toEqual([false]);
  });
});
