/** Simulated machines with virtio PCI devices probed through the interrupt router. */
import { DeviceType } from "../../drivers/virtio/device-types";
import { FeatureBit, feature } from "../../drivers/virtio/features";
import type { VirtioDevice } from "../../drivers/virtio/device";
import type { VirtioInterruptMode } from "../../drivers/virtio/interrupts";
import { claimVirtioDevice, probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry, type VirtioDriver } from "../../drivers/virtio/registry";
import type { Virtqueue } from "../../drivers/virtio/ring/virtqueue";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { EchoModel } from "../sim/virtio/echo-model";
import { addVirtioPci, type SimVirtioPci, type VirtioPciOptions } from "../sim/virtio/pci-device";

const BUFFER_BYTES = 64;

/** What an echo device's handlers saw, in order: "q<index>" or "config". */
export interface EchoInstance {
  readonly device: VirtioDevice;
  readonly mode: VirtioInterruptMode;
  readonly queues: Virtqueue<number>[];
  readonly events: string[];
}

/** `bind` false: a driver that never binds interrupts (it polls). */
export function echoDriver(queueCount: number, bind = true): VirtioDriver<EchoInstance> {
  return {
    type: DeviceType.Console,
    name: "echo",
    features: feature(FeatureBit.EventIdx),
    attach: (device) => {
      const events: string[] = [];
      const mode = bind
        ? device.bindInterrupts({ queues: queueCount, onQueue: (index) => events.push(`q${index}`) })
        : device.interruptMode;
      const queues = Array.from({ length: queueCount }, (_, i) => device.createQueue<number>(i));
      return { device, mode, queues, events };
    },
    configChanged: (instance) => instance.events.push("config"),
  };
}

export interface EchoDevice {
  readonly model: EchoModel;
  readonly pci: SimVirtioPci;
  readonly instance: EchoInstance;
}

export interface Rig {
  readonly machine: SimMachine;
  readonly router: InterruptRouter;
  readonly devices: EchoDevice[];
}

export interface EchoSpec extends Partial<VirtioPciOptions> {
  readonly queues: number;
  readonly eventIdx?: boolean;
  /** The driver binds interrupts (default true). */
  readonly bind?: boolean;
  /** Applied to the model before the probe. */
  readonly prepare?: (model: EchoModel) => void;
}

/** One machine with an echo device per spec (slots 3, 4, ...), probed with interrupts. */
export function echoRig(specs: readonly EchoSpec[]): Rig {
  const machine = new SimMachine();
  const config = new PortPciConfig(machine.ports);
  const router = new InterruptRouter(machine, config, machine);
  const placed = specs.map((spec, i) => {
    const model = new EchoModel(machine.memory, machine.violations, spec.queues, spec.eventIdx);
    spec.prepare?.(model);
    return { model, pci: addVirtioPci(machine, model, { device: 3 + i, layout: "modern", ...spec }) };
  });
  const probe = probeVirtioPci(machine, config, enumeratePci(config), new VirtioDriverRegistry(), { interrupts: router });
  const devices = probe.devices.map((probed, i): EchoDevice => {
    claimVirtioDevice(probed, echoDriver(specs[i].queues, specs[i].bind));
    if (probed.state !== "ready") throw new Error(`${probed.name}: ${probed.error?.message ?? probed.state}`);
    return { ...placed[i], instance: probed.instance as EchoInstance };
  });
  return { machine, router, devices };
}

/** Posts one device-writable buffer on `queue` under `token` and notifies the device. */
export function submit(machine: SimMachine, queue: Virtqueue<number>, token: number): void {
  const buffer = machine.allocDma(BUFFER_BYTES);
  queue.begin();
  queue.addWritable(buffer.physical, BUFFER_BYTES);
  if (!queue.publish(token)) throw new Error("ring full");
  queue.kick();
}

/** Takes every completion waiting on `queue`, returning the tokens. */
export function takeAll(queue: Virtqueue<number>): number[] {
  const tokens: number[] = [];
  queue.poll((token) => tokens.push(token));
  return tokens;
}
