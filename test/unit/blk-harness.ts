// Shared set-up for the virtio-blk tests: one simulated disk, probed, adopted as a BlockDevice.
import type { VirtioBlk } from "../../drivers/virtio/blk/blk";
import { virtioBlkDriver } from "../../drivers/virtio/blk/driver";
import { probeVirtioPci } from "../../drivers/virtio/probe";
import { VirtioDriverRegistry } from "../../drivers/virtio/registry";
import { createEventLoop, type EventLoop } from "../../kernel/event-loop";
import { PortPciConfig } from "../../kernel/pci/config";
import { enumeratePci } from "../../kernel/pci/enumerate";
import { adoptBlockDevices } from "../../runtime/block/registry";
import type { BlockDevice, BlockDeviceOptions } from "../../runtime/block/device";
import { SimMachine } from "../sim/machine";
import { BlkModel, type BlkOptions } from "../sim/virtio/blk-model";
import { addVirtioPci, type VirtioPciLayout } from "../sim/virtio/pci-device";

export interface DiskOptions extends BlkOptions {
  readonly layout?: VirtioPciLayout;
  readonly device?: BlockDeviceOptions;
  /** Runs on the model before probing (config faults). */
  readonly prepare?: (model: BlkModel) => void;
}

export function simDisk(options: DiskOptions) {
  const machine = new SimMachine();
  const model = new BlkModel(machine.memory, machine.violations, options);
  options.prepare?.(model);
  addVirtioPci(machine, model, { device: 4, layout: options.layout ?? "modern" });
  const registry = new VirtioDriverRegistry();
  registry.register(virtioBlkDriver);
  const config = new PortPciConfig(machine.ports);
  const probe = probeVirtioPci(machine, config, enumeratePci(config), registry);
  const uncaught: unknown[] = [];
  const loop = createEventLoop(() => machine.monotonicNs(), (error) => uncaught.push(error));
  const [disk] = adoptBlockDevices(probe.devices, loop, options.device);
  const blk = probe.devices[0].instance as VirtioBlk | undefined;
  return { machine, model, probe, loop, disk: disk as BlockDevice, blk: blk as VirtioBlk, uncaught };
}

const MAX_TICKS = 100_000;

/** Runs the event loop until every promise has settled; returns their outcomes. */
export async function settle<T>(loop: EventLoop, promises: readonly Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  let done = false;
  const all = Promise.allSettled(promises).then((results) => {
    done = true;
    return results;
  });
  for (let ticks = 0; !done; ticks++) {
    if (ticks > MAX_TICKS) throw new Error("block requests never settled");
    loop.tick();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return all;
}

/** Runs the loop until `promise` settles and returns its value (rethrowing its rejection). */
export async function run<T>(loop: EventLoop, promise: Promise<T>): Promise<T> {
  const [result] = await settle(loop, [promise]);
  if (result.status === "rejected") throw result.reason;
  return result.value;
}

/** Bytes that differ per position and per seed. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
  return out;
}
