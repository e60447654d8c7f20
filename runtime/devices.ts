/**
 * Device bring-up for apps: registers the virtio drivers (rng, blk, net), enumerates PCI, probes
 * every virtio function and prints the boot report (one line per PCI function, one per virtio
 * device, then `virtio-ready N`). Disks become runtime/block devices; a virtio-rng provides
 * crypto.getRandomValues.
 */
import { registerVirtioBlkDriver } from "../drivers/virtio/blk/driver";
import { createVirtioNetDriver } from "../drivers/virtio/net/driver";
import { VirtioNet } from "../drivers/virtio/net/net";
import { probeVirtioPci, type ProbedVirtioDevice } from "../drivers/virtio/probe";
import { registerVirtioDriver, virtioDrivers } from "../drivers/virtio/registry";
import { VirtioRng, virtioRngDriver } from "../drivers/virtio/rng/rng";
import { enumeratePci } from "../kernel/pci/enumerate";
import type { PciFunction } from "../kernel/pci/device";
import { formatPciFunction } from "../kernel/pci/report";
import type { System } from "../kernel/start";
import type { BlockDevice, BlockDeviceOptions } from "./block/device";
import { adoptBlockDevices } from "./block/registry";

/** `virtio.ring=split` on the kernel command line keeps every virtqueue split even where packed is offered. */
const RING_KEY = "virtio.ring";
const SPLIT_RING = "split";
/** `blk.timeout-ms=N` gives every disk request N ms before the device is reset (runtime/block's default otherwise). */
const BLOCK_TIMEOUT_KEY = "blk.timeout-ms";

export interface Devices {
  readonly pci: readonly PciFunction[];
  readonly virtio: readonly ProbedVirtioDevice[];
  /** Boot report lines, as printed. */
  readonly report: readonly string[];
  readonly rng?: VirtioRng;
  readonly disks: readonly BlockDevice[];
  readonly nics: readonly VirtioNet[];
}

export interface DeviceOptions {
  /** Print the boot report (default true). */
  print?: boolean;
  /** Let blk and net take their devices' interrupts (default true); false polls, for benchmarks. */
  interrupts?: boolean;
}

/** Instances the registered driver of `type` attached, in bus order. */
export function driverInstances<T>(devices: Pick<Devices, "virtio">, type: new (...args: never[]) => T): T[] {
  return devices.virtio.filter((d) => d.state === "ready" && d.instance instanceof type).map((d) => d.instance as T);
}

function installGetRandomValues(rng: VirtioRng): void {
  const getRandomValues = <T extends ArrayBufferView>(array: T): T => rng.getRandomValues(array);
  Object.defineProperty(globalThis, "crypto", { value: { getRandomValues }, configurable: true, writable: true });
}

/** Block options from the command line; a timeout that is not a positive whole number is refused. */
function blockOptions(timeout: string | undefined): BlockDeviceOptions {
  if (timeout === undefined) return {};
  const requestTimeoutMs = Number(timeout);
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs <= 0) throw new RangeError(`${BLOCK_TIMEOUT_KEY}=${timeout} is not a positive whole number of milliseconds`);
  return { requestTimeoutMs };
}

export function startDevices(system: System, options: DeviceOptions = {}): Devices {
  registerVirtioDriver(virtioRngDriver);
  const interrupts = options.interrupts ?? true;
  registerVirtioBlkDriver({ interrupts });
  registerVirtioDriver(createVirtioNetDriver({ loop: system.loop, interrupts }));
  const pci = enumeratePci(system.pci);
  const ring = system.commandLine.get(RING_KEY) === SPLIT_RING ? SPLIT_RING : "any";
  const probe = probeVirtioPci(system.platform, system.pci, pci, virtioDrivers, { interrupts: system.interrupts, ring });
  const report = [...pci.map(formatPciFunction), ...probe.lines];
  if (options.print ?? true) for (const line of report) console.log(line);
  const virtio = probe.devices;
  const rng = driverInstances({ virtio }, VirtioRng)[0];
  if (rng !== undefined) installGetRandomValues(rng);
  const disks = adoptBlockDevices(virtio, system.loop, blockOptions(system.commandLine.get(BLOCK_TIMEOUT_KEY)));
  return { pci, virtio, report, rng, disks, nics: driverInstances({ virtio }, VirtioNet) };
}
