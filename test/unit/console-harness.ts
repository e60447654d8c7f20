// The virtio-console driver on the simulated machine, turned by hand: no event loop, the test polls.
import { expect } from "vitest";
import type { ConsoleLoop, VirtioConsole } from "../../drivers/virtio/console/console";
import { createVirtioConsoleDriver } from "../../drivers/virtio/console/driver";
import type { ConsoleLimits } from "../../drivers/virtio/console/limits";
import { VirtioDevice } from "../../drivers/virtio/device";
import { PciInterruptBinder } from "../../drivers/virtio/transport/pci-interrupts";
import { createPciTransport } from "../../drivers/virtio/transport/pci-transport";
import { InterruptRouter } from "../../kernel/irq/router";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { SimMachine } from "../sim/machine";
import { ConsoleModel, type ConsoleModelOptions } from "../sim/virtio/console-model";
import type { RingOffer } from "../sim/virtio/device-model";
import { addVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";

export interface ConsoleRigOptions {
  readonly model?: ConsoleModelOptions;
  readonly limits?: Partial<ConsoleLimits>;
  readonly layout?: VirtioPciLayout;
  readonly ring?: RingOffer;
  /** Changes the model's configuration before the driver reads it. */
  readonly prepare?: (model: ConsoleModel) => void;
  /** Runs the driver from this loop (the test still turns it). */
  readonly loop?: ConsoleLoop;
  /** Probes through an interrupt router, so that the driver may take the device's interrupts. */
  readonly router?: boolean;
  /** The driver's `interrupts` option. */
  readonly interrupts?: boolean;
  /** The driver's option; 0 unless given (every poll looks at the configuration), null for the driver's default. */
  readonly configPollIntervalNs?: number | null;
}

export interface ConsoleRig {
  readonly machine: SimMachine;
  readonly model: ConsoleModel;
  readonly device: VirtioDevice;
  readonly console: VirtioConsole;
  readonly router: InterruptRouter | undefined;
  /** Polls the driver `turns` times. */
  poll(turns?: number): void;
}

/** A device probed and claimed by the console driver (the claim may fail: see `device.state`). */
export function openConsoleDevice(options: ConsoleRigOptions = {}): { machine: SimMachine; model: ConsoleModel; device: VirtioDevice; router?: InterruptRouter } {
  const machine = new SimMachine();
  const model = new ConsoleModel(machine.memory, machine.violations, options.model, options.ring);
  options.prepare?.(model);
  addVirtioPci(machine, model, { device: 3, layout: options.layout ?? "modern" });
  const config = new PortPciConfig(machine.ports);
  const fn = enumeratePci(config)[0];
  const transport = createPciTransport(machine, config, fn);
  const router = options.router === true ? new InterruptRouter(machine, config, machine) : undefined;
  const device = new VirtioDevice(machine, transport, router && new PciInterruptBinder(router, config, fn, transport));
  device.acknowledge();
  // Polled by hand: every poll also looks at the configuration.
  const configPollIntervalNs = options.configPollIntervalNs === null ? undefined : (options.configPollIntervalNs ?? 0);
  device.claim(createVirtioConsoleDriver({ limits: options.limits, configPollIntervalNs, loop: options.loop, interrupts: options.interrupts }));
  return { machine, model, device, router };
}

export function consoleRig(options: ConsoleRigOptions = {}): ConsoleRig {
  const { machine, model, device, router } = openConsoleDevice(options);
  expect(device.error).toBeUndefined();
  expect(device.state).toBe("ready");
  const console = device.instance as VirtioConsole;
  const poll = (turns = 1): void => {
    for (let i = 0; i < turns; i++) console.poll();
  };
  // DEVICE_ADD, then PORT_READY, then what the device says about each ready port: three turns.
  poll(3);
  return { machine, model, device, console, router, poll };
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function text(data: ArrayLike<number>): string {
  return new TextDecoder().decode(Uint8Array.from(data));
}

/** Everything the port has received so far. */
export function readAll(port: { readInto(target: Uint8Array): number }): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const chunk = new Uint8Array(4096);
    const n = port.readInto(chunk);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
  }
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Byte-wise equality without the matcher's element-by-element diffing (slow on a MiB). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
