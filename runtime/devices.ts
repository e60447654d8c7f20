/**
 * Device bring-up for apps: registers the virtio drivers (rng, blk, scsi, net, console, balloon, 9p),
 * enumerates PCI, finds the virtio-mmio devices the command line and the DSDT describe, probes
 * every virtio device on both buses and prints the boot report (one line per PCI function, one per
 * mmio device description and per refused one, one per virtio device, then `virtio-ready N`, then
 * one per SCSI logical unit). Disks (virtio-blk devices, virtio-scsi logical units) become
 * runtime/block devices; a virtio-rng provides crypto.getRandomValues and
 * crypto.randomUUID; console ports open by name (runtime/ports), and the kernel console is
 * mirrored to one when the command line asks (`console.mirror=`); a virtio-balloon follows its
 * host's target on its own; virtio-9p host folders open by mount tag (runtime/fs).
 */
import { createVirtio9pDriver } from "../drivers/virtio/9p/driver";
import { VirtioNineP } from "../drivers/virtio/9p/ninep";
import { VirtioBalloon } from "../drivers/virtio/balloon/balloon";
import { registerVirtioBalloonDriver } from "../drivers/virtio/balloon/driver";
import { registerVirtioBlkDriver } from "../drivers/virtio/blk/driver";
import { registerVirtioScsiDriver } from "../drivers/virtio/scsi/driver";
import { VirtioConsole } from "../drivers/virtio/console/console";
import { createVirtioConsoleDriver } from "../drivers/virtio/console/driver";
import { createVirtioNetDriver } from "../drivers/virtio/net/driver";
import { VirtioNet } from "../drivers/virtio/net/net";
import { probeVirtioMmio, probeVirtioPci, type ProbedVirtioDevice } from "../drivers/virtio/probe";
import { formatVirtioReport } from "../drivers/virtio/report";
import { registerVirtioDriver, virtioDrivers } from "../drivers/virtio/registry";
import { VirtioRng, virtioRngDriver } from "../drivers/virtio/rng/rng";
import { enumeratePci } from "../kernel/pci/enumerate";
import type { PciFunction } from "../kernel/pci/device";
import { nativePageCounts } from "../kernel/platform-native";
import { formatPciFunction } from "../kernel/pci/report";
import { discoverVirtioMmio, formatMmioProblems, formatMmioWindow } from "../kernel/mmio/discover";
import type { System } from "../kernel/start";
import type { BlockDevice, BlockDeviceOptions } from "./block/device";
import { bounceOptions } from "./block/bounce-size";
import { randomUuid } from "./crypto/uuid";
import { adoptBlockDevices, blockDevices } from "./block/registry";
import { adoptShares } from "./fs/directory";
import { adoptScsiDisks, scsiReport } from "./scsi-disks";
import { adoptConsoles, mirrorConsoleFromCommandLine } from "./ports/index";

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
  readonly consoles: readonly VirtioConsole[];
  readonly balloon?: VirtioBalloon;
  readonly shares: readonly VirtioNineP[];
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

function installCrypto(rng: VirtioRng): void {
  const getRandomValues = <T extends ArrayBufferView>(array: T): T => rng.getRandomValues(array);
  const randomUUID = (): string => randomUuid((bytes) => rng.getRandomValues(bytes));
  Object.defineProperty(globalThis, "crypto", { value: { getRandomValues, randomUUID }, configurable: true, writable: true });
}

/** Block options from the command line; a timeout that is not a positive whole number is refused. */
function blockOptions(timeout: string | undefined, totalPages: number): BlockDeviceOptions {
  const bounce = bounceOptions(totalPages);
  if (timeout === undefined) return bounce;
  const requestTimeoutMs = Number(timeout);
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs <= 0) throw new RangeError(`${BLOCK_TIMEOUT_KEY}=${timeout} is not a positive whole number of milliseconds`);
  return { ...bounce, requestTimeoutMs };
}

export function startDevices(system: System, options: DeviceOptions = {}): Devices {
  registerVirtioDriver(virtioRngDriver);
  const interrupts = options.interrupts ?? true;
  registerVirtioBlkDriver({ interrupts });
  registerVirtioScsiDriver({ interrupts });
  registerVirtioDriver(createVirtioNetDriver({ loop: system.loop, interrupts }));
  registerVirtioDriver(createVirtioConsoleDriver({ loop: system.loop, interrupts }));
  registerVirtioBalloonDriver({ pages: nativePageCounts });
  registerVirtioDriver(createVirtio9pDriver({ loop: system.loop, interrupts }));
  const pci = enumeratePci(system.pci);
  const ring = system.commandLine.get(RING_KEY) === SPLIT_RING ? SPLIT_RING : "any";
  const probeOptions = { interrupts: system.interrupts, ring } as const;
  const onPci = probeVirtioPci(system.platform, system.pci, pci, virtioDrivers, probeOptions);
  const mmio = discoverVirtioMmio(system.platform, system.commandLine);
  const onMmio = probeVirtioMmio(system.platform, mmio.windows, virtioDrivers, probeOptions);
  const virtio = [...onPci.devices, ...onMmio.devices];
  const report = [
    ...pci.map(formatPciFunction),
    ...mmio.windows.map(formatMmioWindow),
    ...formatMmioProblems(mmio.problems),
    ...formatVirtioReport(virtio),
    ...scsiReport(virtio),
  ];
  if (options.print ?? true) for (const line of report) console.log(line);
  const rng = driverInstances({ virtio }, VirtioRng)[0];
  if (rng !== undefined) installCrypto(rng);
  const diskOptions = blockOptions(system.commandLine.get(BLOCK_TIMEOUT_KEY), nativePageCounts.totalPages());
  adoptBlockDevices(virtio, system.loop, diskOptions);
  adoptScsiDisks(virtio, system.loop, diskOptions);
  // The live list: hot-plugged SCSI units join it, hot-unplugged ones leave it.
  const disks = blockDevices();
  const consoles = driverInstances({ virtio }, VirtioConsole);
  adoptConsoles(consoles);
  mirrorConsoleFromCommandLine(system.commandLine, system.consoleOutput);
  const balloon = driverInstances({ virtio }, VirtioBalloon)[0];
  const shares = driverInstances({ virtio }, VirtioNineP);
  adoptShares(shares);
  return { pci, virtio, report, rng, disks, nics: driverInstances({ virtio }, VirtioNet), consoles, balloon, shares };
}
