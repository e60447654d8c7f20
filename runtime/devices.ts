/**
 * Device bring-up for apps: enumerates PCI, probes every virtio function against the registered
 * drivers and prints the boot report (one line per PCI function, one per virtio device, then
 * `virtio-ready N`). Installs crypto.getRandomValues when a virtio-rng is present.
 */
import { enumeratePci } from "../kernel/pci/enumerate";
import type { PciFunction } from "../kernel/pci/device";
import { formatPciFunction } from "../kernel/pci/report";
import type { System } from "../kernel/start";
import { probeVirtioPci, type ProbedVirtioDevice } from "../drivers/virtio/probe";
import { registerVirtioDriver } from "../drivers/virtio/registry";
import { VirtioRng, virtioRngDriver } from "../drivers/virtio/rng";

export interface Devices {
  readonly pci: readonly PciFunction[];
  readonly virtio: readonly ProbedVirtioDevice[];
  /** Boot report lines, as printed. */
  readonly report: readonly string[];
  readonly rng?: VirtioRng;
}

export interface DeviceOptions {
  /** Print the boot report (default true). */
  print?: boolean;
}

/** Instances the registered driver of `type` attached, in bus order. */
export function driverInstances<T>(devices: Devices, type: new (...args: never[]) => T): T[] {
  return devices.virtio.filter((d) => d.state === "ready" && d.instance instanceof type).map((d) => d.instance as T);
}

export function startDevices(system: System, options: DeviceOptions = {}): Devices {
  registerVirtioDriver(virtioRngDriver);
  const pci = enumeratePci(system.pci);
  const probe = probeVirtioPci(system.platform, system.pci, pci);
  const report = [...pci.map(formatPciFunction), ...probe.lines];
  if (options.print ?? true) for (const line of report) console.log(line);
  const devices: Devices = { pci, virtio: probe.devices, report };
  const rng = driverInstances(devices, VirtioRng)[0];
  if (rng !== undefined) {
    const getRandomValues = <T extends ArrayBufferView>(array: T): T => rng.getRandomValues(array);
    Object.defineProperty(globalThis, "crypto", { value: { getRandomValues }, configurable: true, writable: true });
  }
  return { ...devices, rng };
}
