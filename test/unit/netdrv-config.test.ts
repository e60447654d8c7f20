// virtio-net device configuration (virtio 1.2 section 5.1.4): MTU and max_virtqueue_pairs at their
// limits, the MAC the driver makes up without one, the link state bit, and the header layout the
// negotiated features fix.
import { describe, expect, it } from "vitest";
import { VirtioConfigError } from "../../drivers/virtio/errors";
import { FeatureBit } from "../../drivers/virtio/features";
import { createVirtioNetDriver } from "../../drivers/virtio/net/driver";
import type { VirtioNet, VirtioNetOptions } from "../../drivers/virtio/net/net";
import { probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { NetConfig, NetFeature, NetModel, type NetOptions } from "../sim/virtio/net-model";
import { VIRTIO_NET_S, virtio_net_config } from "../sim/virtio/spec/net";
import { addVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";

interface Options {
  readonly device?: NetOptions;
  readonly layout?: VirtioPciLayout;
  readonly driver?: VirtioNetOptions;
  /** Changes the device configuration before the probe. */
  readonly spoil?: (view: DataView) => void;
}

function attach(options: Options = {}) {
  const machine = new SimMachine();
  const model = new NetModel(machine.memory, machine.violations, options.device);
  options.spoil?.(new DataView(model.config.buffer, model.config.byteOffset));
  addVirtioPci(machine, model, { device: 4, layout: options.layout ?? "modern" });
  const registry = new VirtioDriverRegistry();
  registry.register(createVirtioNetDriver({ configPollIntervalNs: 0, ...options.driver }));
  const config = new PortPciConfig(machine.ports);
  const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry).devices;
  return { machine, model, probed, net: probed.instance as VirtioNet };
}

function refused(options: Options): VirtioConfigError {
  const { probed } = attach(options);
  expect(probed.state).toBe("failed");
  expect(probed.error).toBeInstanceOf(VirtioConfigError);
  return probed.error as VirtioConfigError;
}

describe("virtio-net configuration: MTU", () => {
  it.each([68, 9000])("accepts an MTU of %i", (mtu) => {
    const { net, machine } = attach({ device: { mtu } });
    expect(net.mtu).toBe(mtu);
    expect(net.layout.maxFrame).toBe(14 + 4 + mtu);
    assertNoViolations(machine.violations);
  });

  it.each([67, 9001, 0])("refuses an MTU of %i", (mtu) => {
    expect(refused({ device: { mtu } })).toMatchObject({ code: "mtu", detail: `${mtu} is outside 68..9000` });
  });

  it("takes 1500 without the MTU feature, whatever the field says", () => {
    const { net } = attach({ device: { withhold: [NetFeature.Mtu], mtu: 20 } });
    expect(net.mtu).toBe(1500);
  });
});

describe("virtio-net configuration: queue pairs", () => {
  it("without MQ there is one pair, whatever the field says", () => {
    const { net } = attach({ spoil: (v) => v.setUint16(virtio_net_config.max_virtqueue_pairs.offset, 0, true) });
    expect(net.maxPairs).toBe(1);
  });

  it("refuses more pairs than the specification allows", () => {
    const error = refused({ device: { offer: [NetFeature.Mq], pairs: 2 }, spoil: (v) => v.setUint16(virtio_net_config.max_virtqueue_pairs.offset, 0x8001, true) });
    expect(error).toMatchObject({ code: "max-virtqueue-pairs", detail: "32769 is outside 1..32768" });
  });

  it("accepts a single pair with MQ", () => {
    const { net, probed } = attach({ device: { offer: [NetFeature.Mq], pairs: 1 } });
    expect(probed.state).toBe("ready");
    expect(net.maxPairs).toBe(1);
  });
});

describe("virtio-net configuration: MAC", () => {
  it.each([
    [0x00, [0x02, 0x00, 0x00, 0x00, 0x00, 0x00]],
    [0x01, [0x02, 0x01, 0x01, 0x01, 0x01, 0x01]],
    [0x5c, [0x5e, 0x5c, 0x5c, 0x5c, 0x5c, 0x5c]],
  ])("without a device MAC, random bytes all %i become a locally administered unicast address", (byte, mac) => {
    const { net } = attach({ device: { withhold: [NetFeature.Mac] }, driver: { random: (bytes) => bytes.fill(byte) } });
    expect(Array.from(net.mac)).toEqual(mac);
  });

  it("with a device MAC, the random source is never asked", () => {
    let asked = 0;
    const { net } = attach({ device: { mac: [0x02, 1, 2, 3, 4, 5] }, driver: { random: () => asked++ } });
    expect(Array.from(net.mac)).toEqual([0x02, 1, 2, 3, 4, 5]);
    expect(asked).toBe(0);
  });

  it("the default random source still gives a locally administered unicast address", () => {
    const { net } = attach({ device: { withhold: [NetFeature.Mac] } });
    expect(net.mac.length).toBe(6);
    expect(net.mac[0] & 0x03).toBe(0x02);
    // Random bytes: five zeros (or two equal addresses) would take a 1 in 2^40 chance.
    expect(net.mac.subarray(1).some((b) => b !== 0)).toBe(true);
    const other = attach({ device: { withhold: [NetFeature.Mac] } }).net;
    expect(Array.from(other.mac)).not.toEqual(Array.from(net.mac));
  });
});

describe("virtio-net configuration: link state", () => {
  it("only the LINK_UP bit means up", () => {
    expect(attach({ spoil: (v) => v.setUint16(NetConfig.Status, VIRTIO_NET_S.ANNOUNCE, true) }).net.linkUp).toBe(false);
    expect(attach({ spoil: (v) => v.setUint16(NetConfig.Status, VIRTIO_NET_S.ANNOUNCE | VIRTIO_NET_S.LINK_UP, true) }).net.linkUp).toBe(true);
  });
});

describe("virtio-net layout from the negotiated features", () => {
  it("modern: a 12-byte header in the same buffer as the frame, one descriptor per buffer", () => {
    expect(attach().net.layout).toEqual({ headerSize: 12, splitHeader: false, mergeable: true, descriptorsPerBuffer: 1, maxFrame: 1518 });
  });

  it("modern without indirect descriptors: still one descriptor per buffer", () => {
    const { net, model } = attach({ device: { indirect: false, queueSize: 16 } });
    expect(net.layout).toMatchObject({ splitHeader: false, descriptorsPerBuffer: 1 });
    expect(model.postedRxBuffers).toBe(16);
  });

  it("legacy without ANY_LAYOUT or indirect descriptors: the header takes a descriptor of its own", () => {
    const { net } = attach({ layout: "legacy", device: { withhold: [NetFeature.MrgRxbuf], indirect: false } });
    expect(net.layout).toEqual({ headerSize: 10, splitHeader: true, mergeable: false, descriptorsPerBuffer: 2, maxFrame: 1518 });
  });

  it("legacy without ANY_LAYOUT but with indirect descriptors: one ring descriptor per buffer", () => {
    const { net } = attach({ layout: "legacy", device: { withhold: [NetFeature.MrgRxbuf], indirect: true } });
    expect(net.layout).toMatchObject({ splitHeader: true, descriptorsPerBuffer: 1 });
  });

  it("legacy with ANY_LAYOUT: header and frame share a buffer", () => {
    const { net } = attach({ layout: "legacy", device: { withhold: [NetFeature.MrgRxbuf], offer: [FeatureBit.AnyLayout], indirect: false } });
    expect(net.layout).toMatchObject({ headerSize: 10, splitHeader: false, descriptorsPerBuffer: 1 });
  });
});
