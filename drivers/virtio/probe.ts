import type { GsiRoute, InterruptRouter } from "../../kernel/irq/router";
import type { Platform } from "../../kernel/platform";
import { formatPciAddress } from "../../kernel/pci/address";
import type { PciConfigAccess } from "../../kernel/pci/config";
import type { PciFunction } from "../../kernel/pci/device";
import { MemoryRegion } from "../../kernel/pci/io-region";
import { VirtioDevice, type VirtioDeviceOptions, type VirtioDeviceState } from "./device";
import { asVirtioError } from "./errors";
import type { VirtioError } from "./errors";
import { MmioTransport } from "./transport/mmio";
import { MmioInterruptBinder } from "./transport/mmio-interrupts";
import { PciInterruptBinder } from "./transport/pci-interrupts";
import { createPciTransport, isVirtioPci } from "./transport/pci-transport";
import { virtioDrivers } from "./registry";
import type { VirtioDriver, VirtioDriverRegistry } from "./registry";
import { formatVirtioReport } from "./report";

export type ProbeState = VirtioDeviceState;

/** One probed function: its device, whose state, driver and instance it reports. */
export class ProbedVirtioDevice {
  constructor(
    readonly name: string,
    readonly device: VirtioDevice | undefined,
    /** Why the device could not even be opened (no VirtioDevice then). */
    private readonly openError?: VirtioError,
  ) {}

  get state(): ProbeState {
    return this.device?.state ?? "failed";
  }
  get driver(): VirtioDriver | undefined {
    return this.device?.driver;
  }
  get instance(): unknown {
    return this.device?.instance;
  }
  get error(): VirtioError | undefined {
    return this.device?.error ?? this.openError;
  }
}

export interface VirtioProbeResult {
  readonly devices: ProbedVirtioDevice[];
  /** Boot report, one line each; the caller prints them. */
  readonly lines: string[];
}

/**
 * Takes an unclaimed (or detached) device through negotiation, the driver's attach, DRIVER_OK and
 * the driver's ready hook. Also how a driver loaded after probing claims a device. Returns whether
 * the device is ready.
 */
export function claimVirtioDevice(probed: ProbedVirtioDevice, driver: VirtioDriver): boolean {
  const device = probed.device;
  if (device === undefined || (device.state !== "unclaimed" && device.state !== "detached")) return false;
  return device.claim(driver);
}

/** Resets and acknowledges the device, then hands it to its registered driver, if any. */
function probeOne(name: string, open: () => VirtioDevice, registry: VirtioDriverRegistry): ProbedVirtioDevice {
  let device: VirtioDevice;
  try {
    device = open();
  } catch (cause) {
    return new ProbedVirtioDevice(name, undefined, asVirtioError(name, cause));
  }
  try {
    device.acknowledge();
  } catch (cause) {
    device.fail(cause);
    return new ProbedVirtioDevice(name, device);
  }
  const probed = new ProbedVirtioDevice(name, device);
  const driver = registry.find(device.transport.deviceType);
  if (driver !== undefined) device.claim(driver);
  return probed;
}

function finish(devices: ProbedVirtioDevice[]): VirtioProbeResult {
  return { devices, lines: formatVirtioReport(devices) };
}

/** What every probed device is given (`ring: "split"` forces the split layout). */
export type VirtioProbeOptions = VirtioDeviceOptions;

export interface VirtioPciProbeOptions extends VirtioProbeOptions {
  /** Lets drivers bind MSI-X, INTx or mmio interrupt lines; without it every device is polled. */
  readonly interrupts?: InterruptRouter;
}

/** Every virtio function among `functions`; one device failing never stops the others. */
export function probeVirtioPci(
  platform: Platform,
  config: PciConfigAccess,
  functions: readonly PciFunction[],
  registry: VirtioDriverRegistry = virtioDrivers,
  options: VirtioPciProbeOptions = {},
): VirtioProbeResult {
  const router = options.interrupts;
  const open = (fn: PciFunction) => (): VirtioDevice => {
    const transport = createPciTransport(platform, config, fn);
    return new VirtioDevice(platform, transport, router && new PciInterruptBinder(router, config, fn, transport), options);
  };
  const devices = functions.filter(isVirtioPci).map((fn) => probeOne(formatPciAddress(fn.address), open(fn), registry));
  return finish(devices);
}

export interface MmioWindow {
  readonly base: number;
  readonly size: number;
  /** The device's interrupt line; without it (or without a router) the device is polled. */
  readonly interrupt?: GsiRoute;
}

/** virtio-mmio devices at known addresses (from the command line or firmware tables). */
export function probeVirtioMmio(
  platform: Platform,
  windows: readonly MmioWindow[],
  registry: VirtioDriverRegistry = virtioDrivers,
  options: VirtioPciProbeOptions = {},
): VirtioProbeResult {
  const router = options.interrupts;
  const devices = windows.map((w) => {
    const name = `mmio@0x${w.base.toString(16)}`;
    return probeOne(
      name,
      () => {
        platform.mapPhysical(w.base, w.size, true);
        const transport = new MmioTransport(platform, name, new MemoryRegion(platform.mmio, w.base, w.size));
        const binder = router && w.interrupt && new MmioInterruptBinder(router, w.interrupt, transport);
        return new VirtioDevice(platform, transport, binder, options);
      },
      registry,
    );
  });
  return finish(devices);
}
