// A simulated machine with one virtio-balloon probed through the interrupt router, and the page
// counts the driver reports and keeps its floor against (the simulated DMA memory).
import { VirtioBalloon, type VirtioBalloonOptions } from "../../drivers/virtio/balloon/balloon";
import { createVirtioBalloonDriver } from "../../drivers/virtio/balloon/driver";
import { probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { InterruptRouter } from "../../kernel/irq/router";
import { MemoryPressure, allocateReclaiming, type PageCounts } from "../../kernel/memory-pressure";
import { PAGE_SIZE, type DmaOptions } from "../../kernel/platform";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SIM_DMA_CAPACITY, SimMachine } from "../sim/machine";
import { BalloonModel, type BalloonModelOptions } from "../sim/virtio/balloon-model";
import { addVirtioPci, type VirtioPciOptions } from "../sim/virtio/pci-device";

const BALLOON_SLOT = 6;
const MAX_DISPATCHES = 1_000;

export interface BalloonRigOptions {
  readonly model?: BalloonModelOptions;
  readonly pci?: Partial<Omit<VirtioPciOptions, "device">>;
  readonly driver?: Omit<VirtioBalloonOptions, "pages" | "pressure">;
  /** false probes without the interrupt router: the device is polled. */
  readonly interrupts?: boolean;
}

export function balloonMachine(options: BalloonRigOptions = {}) {
  const machine = new SimMachine();
  // The machine's allocations ask the balloon before failing, as the native platform's do.
  const pressure = new MemoryPressure();
  const allocate = machine.allocDma.bind(machine);
  machine.allocDma = (size: number, dmaOptions?: DmaOptions) => allocateReclaiming(pressure, size, () => allocate(size, dmaOptions));
  const pages: PageCounts = {
    freePages: () => Math.floor((SIM_DMA_CAPACITY - machine.memory.allocatedBytes) / PAGE_SIZE),
    totalPages: () => SIM_DMA_CAPACITY / PAGE_SIZE,
  };
  const config = new PortPciConfig(machine.ports);
  const router = new InterruptRouter(machine, config, machine);
  const model = new BalloonModel(machine.memory, machine.violations, options.model);
  addVirtioPci(machine, model, { device: BALLOON_SLOT, layout: "modern", msixVectors: 8, ...options.pci });
  const registry = new VirtioDriverRegistry();
  registry.register(createVirtioBalloonDriver({ pages, pressure, minFreeBytes: 0, ...options.driver }));
  const [probed] = probeVirtioPci(machine, config, enumeratePci(config), registry, { interrupts: options.interrupts === false ? undefined : router }).devices;
  if (probed.state !== "ready") throw new Error(`${probed.name}: ${probed.error?.message ?? probed.state}`);
  const balloon = probed.instance as VirtioBalloon;

  /** Runs interrupt handlers until none is left (the kernel does this on every loop turn). */
  const settle = (): void => {
    for (let i = 0; i < MAX_DISPATCHES; i++) if (router.dispatcher.dispatch() === 0) return;
    throw new Error("interrupts never settled");
  };

  /** The host sets a new target; the driver follows it through the interrupts. */
  const target = (numPages: number): void => {
    model.setTarget(numPages);
    settle();
  };

  return { machine, model, probed, balloon, pages, pressure, settle, target, allocatedPages: () => machine.memory.allocatedBytes / PAGE_SIZE };
}
