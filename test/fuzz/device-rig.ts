/**
 * One fuzz case's machine: a single virtio device of one kind (rng, blk, net, echo) on one
 * transport (modern, legacy or transitional PCI, mmio v1 or v2) with one interrupt mode (MSI-X,
 * INTx, polled), probed with its driver through the real probe code, and an event loop turned
 * the way the kernel turns it. Counts the machine's live DMA regions at the allocator.
 */
import { createVirtioBlkDriver } from "../../drivers/virtio/blk/driver";
import type { VirtioDevice } from "../../drivers/virtio/device";
import { createVirtioNetDriver } from "../../drivers/virtio/net/driver";
import { probeVirtioMmio, probeVirtioPci, type ProbedVirtioDevice } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry, type VirtioDriver } from "../../drivers/virtio/registry";
import { VirtioRng, virtioRngDriver } from "../../drivers/virtio/rng/rng";
import { createEventLoop, type EventLoop } from "../../kernel/event-loop";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { BlkModel } from "../sim/virtio/blk-model";
import type { VirtioDeviceModel } from "../sim/virtio/device-model";
import { EchoModel } from "../sim/virtio/echo-model";
import { MMIO_WINDOW_SIZE } from "../sim/virtio/mmio";
import { addVirtioMmio } from "../sim/virtio/mmio-device";
import { NetFeature, NetModel } from "../sim/virtio/net-model";
import { addVirtioPci, type SimVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";
import { RngModel } from "../sim/virtio/rng-model";
import { echoDriver } from "../unit/virtio-interrupts-harness";
import type { Prng } from "./prng";

export const DEVICE_KINDS = ["rng", "blk", "net", "echo"] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
export const TRANSPORTS = ["pci-modern", "pci-legacy", "pci-transitional", "mmio-1", "mmio-2"] as const;
export type TransportKind = (typeof TRANSPORTS)[number];
export type InterruptKind = "msix" | "intx" | "polled";

export interface RigSpec {
  readonly kind: DeviceKind;
  readonly transport: TransportKind;
  /** mmio devices are always polled (the simulated mmio transport has no interrupt line). */
  readonly interrupts: InterruptKind;
  readonly echoQueues: number;
}

const SLOT = 4;
const MMIO_BASE = 0xfeb0_0000;
/** Short waits: a stalled device costs a fuzz case little simulated (and real) time. */
const RNG_TIMEOUT_NS = 5_000_000;
const CONTROL_TIMEOUT_NS = 5_000_000;

export function randomSpec(random: Prng): RigSpec {
  const kind = random.pick(DEVICE_KINDS);
  const transport = random.pick(TRANSPORTS);
  const interrupts: InterruptKind = transport.startsWith("mmio") ? "polled" : random.pick(["msix", "intx", "polled"] as const);
  return { kind, transport, interrupts, echoQueues: 1 + random.below(3) };
}

/** The device model of `kind`, with randomised (valid) construction options. */
function makeModel(machine: SimMachine, spec: RigSpec, random: Prng): VirtioDeviceModel {
  const { memory, violations } = machine;
  switch (spec.kind) {
    case "rng":
      return new RngModel(memory, violations, random.pick([1, 2, 8, 64, 256]));
    case "blk":
      return new BlkModel(memory, violations, {
        sectors: random.pick([0, 1, 8, 64, 4096]),
        readOnly: random.chance(0.15),
        queueSize: random.pick([2, 4, 16, 128]),
        sizeMax: random.pick([512, 4096, 65536]),
        segMax: random.pick([1, 2, 126]),
        blkSize: random.pick([512, 512, 4096]),
        topology: random.chance(0.3),
        writeback: random.chance(0.3) ? random.chance(0.5) : undefined,
        numQueues: random.chance(0.2) ? 2 : undefined,
        eventIdx: random.chance(0.7),
        indirect: random.chance(0.7),
      });
    case "net":
      return new NetModel(memory, violations, {
        queueSize: random.pick([2, 8, 64, 256]),
        mtu: random.pick([68, 576, 1500, 9000]),
        linkUp: random.chance(0.8),
        offer: random.chance(0.5) ? [NetFeature.Csum, NetFeature.GuestCsum, NetFeature.CtrlMacAddr] : [],
        withhold: random.chance(0.3) ? [random.pick([NetFeature.MrgRxbuf, NetFeature.CtrlVq, NetFeature.Status, NetFeature.Mac, NetFeature.Mtu])] : [],
        eventIdx: random.chance(0.7),
        indirect: random.chance(0.7),
      });
    case "echo":
      return new EchoModel(memory, violations, spec.echoQueues, random.chance(0.7));
  }
}

export interface Rig {
  readonly spec: RigSpec;
  readonly machine: SimMachine;
  readonly model: VirtioDeviceModel;
  /** PCI placement (capabilities, BARs) for fault injection; undefined on mmio. */
  readonly pci: SimVirtioPci | undefined;
  readonly loop: EventLoop;
  readonly driver: VirtioDriver;
  /** Errors the event loop caught from callbacks (none are expected). */
  readonly uncaught: unknown[];
  /** Regions allocated from the machine's DMA memory and not freed. */
  liveDma(): number;
  /** The machine, with allocations `liveDma` does not count (memory that lives as long as the case). */
  readonly untrackedMachine: SimMachine;
  probed: ProbedVirtioDevice | undefined;
  /** One kernel loop turn: interrupt handlers first, then the loop. */
  turn(): void;
}

/** Places the device; `prepare` runs on the model and placement before the probe (config, caps). */
export function placeRig(spec: RigSpec, random: Prng, prepare: (model: VirtioDeviceModel, pci: SimVirtioPci | undefined) => void): Rig {
  const machine = new SimMachine();
  let dma = 0;
  const allocDma = machine.allocDma.bind(machine);
  const freeDma = machine.freeDma.bind(machine);
  const untrackedMachine: SimMachine = Object.create(machine, { allocDma: { value: allocDma }, freeDma: { value: freeDma } });
  machine.allocDma = (size, options) => {
    const region = allocDma(size, options);
    dma++;
    return region;
  };
  machine.freeDma = (region) => {
    freeDma(region);
    dma--;
  };
  const uncaught: unknown[] = [];
  const loop = createEventLoop(() => machine.monotonicNs(), (error) => uncaught.push(error));
  const config = new PortPciConfig(machine.ports);
  const onPci = spec.transport.startsWith("pci");
  const router = onPci && spec.interrupts !== "polled" ? new InterruptRouter(machine, config, machine) : undefined;
  const model = makeModel(machine, spec, random);
  let pci: SimVirtioPci | undefined;
  if (onPci) {
    const layout = spec.transport.slice("pci-".length) as VirtioPciLayout;
    pci = addVirtioPci(machine, model, {
      device: SLOT,
      layout,
      msixVectors: spec.interrupts === "msix" ? 1 + random.below(4) : 0,
      notify: random.chance(0.2) ? "io" : "mem",
      notifyMultiplier: random.pick([0, 2, 4]),
    });
  } else {
    addVirtioMmio(machine, model, MMIO_BASE, spec.transport === "mmio-1" ? 1 : 2);
  }
  prepare(model, pci);
  const driver = makeDriver(spec, loop);
  const rig: Rig = {
    spec,
    machine,
    model,
    pci,
    loop,
    driver,
    uncaught,
    liveDma: () => dma,
    untrackedMachine,
    probed: undefined,
    turn: () => {
      router?.dispatcher.dispatch();
      loop.tick();
    },
  };
  const registry = new VirtioDriverRegistry();
  registry.register(driver);
  const result = onPci
    ? probeVirtioPci(machine, config, enumeratePci(config), registry, { interrupts: router })
    : probeVirtioMmio(machine, [{ base: MMIO_BASE, size: MMIO_WINDOW_SIZE }], registry);
  rig.probed = result.devices[0];
  return rig;
}

function makeDriver(spec: RigSpec, loop: EventLoop): VirtioDriver {
  const interrupts = spec.interrupts !== "polled";
  switch (spec.kind) {
    case "rng":
      return {
        ...virtioRngDriver,
        attach: (device: VirtioDevice) => new VirtioRng(device, { timeoutNs: RNG_TIMEOUT_NS, interrupts }),
      } as VirtioDriver;
    case "blk":
      return createVirtioBlkDriver({ interrupts }) as VirtioDriver;
    case "net":
      return createVirtioNetDriver({ loop, interrupts, configPollIntervalNs: 0, controlTimeoutNs: CONTROL_TIMEOUT_NS }) as VirtioDriver;
    case "echo":
      return echoDriver(spec.echoQueues, interrupts) as VirtioDriver;
  }
}
