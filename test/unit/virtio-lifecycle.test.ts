// Device lifecycle: a failed attach, fail() and detach free everything the device and its driver
// created (counted at the simulated machine's DMA allocator and interrupt router), and a detached
// device can be claimed again and works.
import { describe, expect, it } from "vitest";
import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { createVirtioBlkDriver } from "../../drivers/virtio/blk/driver";
import type { VirtioDevice } from "../../drivers/virtio/device";
import type { NetLoop, VirtioNet } from "../../drivers/virtio/net/net";
import { createVirtioNetDriver } from "../../drivers/virtio/net/driver";
import { claimVirtioDevice, probeVirtioPci, type ProbedVirtioDevice } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry, type VirtioDriver } from "../../drivers/virtio/registry";
import { virtioRngDriver, type VirtioRng } from "../../drivers/virtio/rng/rng";
import { DeviceStatus } from "../../drivers/virtio/status";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { blkReadSector } from "../harness/blk-read";
import { SimMachine } from "../sim/machine";
import { assertNoViolations } from "../sim/violations";
import { BlkModel } from "../sim/virtio/blk-model";
import type { VirtioDeviceModel } from "../sim/virtio/device-model";
import { NetModel } from "../sim/virtio/net-model";
import { addVirtioPci, type SimVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { GUEST_MAC, PEER_MAC, frameTo } from "./netdrv-harness";

/** A loop whose wake sources do nothing: the tests turn the driver by hand. */
const quietLoop: NetLoop = {
  addPoller: () => ({ close: () => {} }),
  addWakeSource: () => ({ wake: () => {}, ref: () => undefined, unref: () => undefined }),
};

interface Kind {
  readonly name: string;
  model(machine: SimMachine): VirtioDeviceModel;
  driver(): VirtioDriver;
  /** Uses the ready instance; throws if it does not work. */
  exercise(machine: SimMachine, model: VirtioDeviceModel, device: VirtioDevice): void;
}

const kinds: Kind[] = [
  {
    name: "rng",
    model: (m) => new RngModel(m.memory, m.violations),
    driver: () => virtioRngDriver as VirtioDriver,
    exercise: (_m, _model, device) => {
      expect((device.instance as VirtioRng).getRandomValues(new Uint8Array(256)).some((b) => b !== 0)).toBe(true);
    },
  },
  {
    name: "blk",
    model: (m) => new BlkModel(m.memory, m.violations, { sectors: 64, serial: "life" }),
    driver: () => createVirtioBlkDriver() as VirtioDriver,
    exercise: (machine, model, device) => {
      (model as BlkModel).disk.fill(0x5a, 0, 512);
      expect(blkReadSector(machine, device.instance as VirtioBlk, 0)).toEqual(new Uint8Array(512).fill(0x5a));
      expect((device.instance as VirtioBlk).serial).toBe("life");
    },
  },
  {
    name: "net",
    model: (m) => new NetModel(m.memory, m.violations),
    driver: () => createVirtioNetDriver({ loop: quietLoop }) as VirtioDriver,
    exercise: (_m, model, device) => {
      const net = device.instance as VirtioNet;
      const received: number[] = [];
      net.onReceive((frame) => received.push(frame.length));
      const sent = (model as NetModel).transmitted.length;
      (model as NetModel).injectFrame(frameTo(GUEST_MAC, 100));
      expect(net.transmit(frameTo(PEER_MAC, 60))).toBe(true);
      net.poll();
      expect(received).toEqual([114]);
      expect((model as NetModel).transmitted).toHaveLength(sent + 1);
    },
  },
];

interface Rig {
  readonly machine: SimMachine;
  readonly model: VirtioDeviceModel;
  readonly pci: SimVirtioPci;
  readonly probed: ProbedVirtioDevice;
  readonly device: VirtioDevice;
  /** DMA regions allocated from the machine and not freed. */
  readonly liveDma: () => number;
  /** Interrupt lines routed and not released. */
  readonly liveLines: () => number;
}

/** One device on a machine with an interrupt router, probed with `driver` (or none). */
function rig(kind: Kind, driver: VirtioDriver | undefined, layout: VirtioPciLayout = "modern"): Rig {
  const machine = new SimMachine();
  let dma = 0;
  const allocDma = machine.allocDma.bind(machine);
  const freeDma = machine.freeDma.bind(machine);
  machine.allocDma = (size, options) => {
    dma++;
    return allocDma(size, options);
  };
  machine.freeDma = (region) => {
    dma--;
    freeDma(region);
  };
  const config = new PortPciConfig(machine.ports);
  const router = new InterruptRouter(machine, config, machine);
  let lines = 0;
  const routeMsix = router.routeMsix.bind(router);
  router.routeMsix = (table, entry, handler) => {
    const line = routeMsix(table, entry, handler);
    if (line === undefined) return line;
    lines++;
    return {
      ...line,
      release: () => {
        lines--;
        line.release();
      },
    };
  };
  const model = kind.model(machine);
  const pci = addVirtioPci(machine, model, { device: 4, layout, msixVectors: 4 });
  const registry = new VirtioDriverRegistry();
  if (driver !== undefined) registry.register(driver);
  const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry, { interrupts: router }).devices;
  return { machine, model, pci, probed, device: probed.device as VirtioDevice, liveDma: () => dma, liveLines: () => lines };
}

/** The driver, with an attach that fails once the real one has created its queues. */
function failingLate(driver: VirtioDriver): VirtioDriver {
  return {
    ...driver,
    attach: (device) => {
      driver.attach(device);
      expect(device.queues.length).toBeGreaterThan(0);
      throw new Error("late attach failure");
    },
  };
}

const cases = kinds.flatMap((kind) => (["modern", "legacy"] as const).map((layout) => ({ kind, layout, name: `${kind.name} (${layout})` })));

describe.each(cases)("virtio-$name lifecycle", ({ kind, layout }) => {
  it("frees everything after an attach that fails late, and sets FAILED", () => {
    const { device, probed, liveDma, liveLines, machine } = rig(kind, failingLate(kind.driver()), layout);
    expect(probed.state).toBe("failed");
    expect(probed.error?.message).toContain("late attach failure");
    expect(liveDma()).toBe(0);
    expect(liveLines()).toBe(0);
    expect(device.queues).toHaveLength(0);
    expect(device.platform.dmaRegions).toBe(0);
    expect(device.transport.getStatus()).toBe(DeviceStatus.Failed);
    assertNoViolations(machine.violations);
  });

  it("frees everything on fail(), and sets FAILED", () => {
    const { device, liveDma, liveLines, machine, model } = rig(kind, kind.driver(), layout);
    expect(device.state).toBe("ready");
    kind.exercise(machine, model, device);
    expect(liveDma()).toBeGreaterThan(0);
    expect(liveLines()).toBeGreaterThan(0);
    device.fail(new Error("given up"));
    expect(device.state).toBe("failed");
    expect(device.error?.message).toContain("given up");
    expect(liveDma()).toBe(0);
    expect(liveLines()).toBe(0);
    expect(device.transport.getStatus()).toBe(DeviceStatus.Failed);
    assertNoViolations(machine.violations);
  });

  it("detaches (the driver first), frees everything, resets, and can be claimed again", () => {
    const driver = kind.driver();
    const order: string[] = [];
    const watched: VirtioDriver = {
      ...driver,
      detach: (instance) => {
        order.push(`detach status=${device.transport.getStatus() & DeviceStatus.DriverOk ? "live" : "reset"} queues=${device.queues.length > 0}`);
        driver.detach?.(instance);
      },
    };
    const { device, probed, liveDma, liveLines, machine, model, pci } = rig(kind, watched, layout);
    kind.exercise(machine, model, device);
    device.detach();
    expect(order).toEqual(["detach status=live queues=true"]);
    expect(probed.state).toBe("detached");
    expect(probed.instance).toBeUndefined();
    expect(liveDma()).toBe(0);
    expect(liveLines()).toBe(0);
    expect(pci.msix?.enabled).toBe(false);
    expect(device.transport.getStatus()).toBe(DeviceStatus.Reset);
    expect(() => device.detach()).toThrow(/detach: device is detached/);

    expect(claimVirtioDevice(probed, watched)).toBe(true);
    expect(probed.state).toBe("ready");
    kind.exercise(machine, model, device);
    device.detach();
    expect(liveDma()).toBe(0);
    assertNoViolations(machine.violations);
  });

  it("recovers: a reset, a new negotiation and a new instance that works, with nothing leaked", () => {
    const { device, liveDma, liveLines, machine, model } = rig(kind, kind.driver(), layout);
    const before = device.instance;
    const dma = liveDma();
    const lines = liveLines();
    expect(device.recover()).toBe(true);
    // (Compared by identity: the old instance's buffers are detached, which a deep diff would trip on.)
    expect(device.instance === before).toBe(false);
    expect(liveDma()).toBe(dma);
    expect(liveLines()).toBe(lines);
    kind.exercise(machine, model, device);
    assertNoViolations(machine.violations);
  });
});

describe("virtio lifecycle", () => {
  it("exposes the negotiated interface: modern with VERSION_1, legacy without", () => {
    for (const layout of ["modern", "legacy"] as const) {
      const machine = new SimMachine();
      addVirtioPci(machine, new RngModel(machine.memory, machine.violations), { device: 4, layout });
      const registry = new VirtioDriverRegistry();
      registry.register(virtioRngDriver);
      const config = new PortPciConfig(machine.ports);
      const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry).devices;
      expect(probed.device?.isModern).toBe(layout === "modern");
    }
  });

  it("refuses to claim a device that is not unclaimed and to detach one that is not ready", () => {
    const { device, probed } = rig(kinds[0], undefined);
    expect(probed.state).toBe("unclaimed");
    expect(() => device.detach()).toThrow(/device is unclaimed/);
    expect(device.claim(virtioRngDriver as VirtioDriver)).toBe(true);
    expect(() => device.claim(virtioRngDriver as VirtioDriver)).toThrow(/claim: device is ready/);
  });
});
