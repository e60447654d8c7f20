import type { InterruptRouter } from "../../kernel/irq/router";
import type { Platform } from "../../kernel/platform";
import { formatPciAddress } from "../../kernel/pci/address";
import type { PciConfigAccess } from "../../kernel/pci/config";
import type { PciFunction } from "../../kernel/pci/device";
import { MemoryRegion } from "../../kernel/pci/io-region";
import { VirtioDevice } from "./device";
import { asVirtioError } from "./errors";
import type { VirtioError } from "./errors";
import { MmioTransport } from "./transport/mmio";
import { PciInterruptBinder } from "./transport/pci-interrupts";
import { createPciTransport, isVirtioPci } from "./transport/pci-transport";
import { virtioDrivers } from "./registry";
import type { VirtioDriver, VirtioDriverRegistry } from "./registry";
import { formatVirtioReport } from "./report";

export type ProbeState = "ready" | "unclaimed" | "failed";

export interface ProbedVirtioDevice {
  readonly name: string;
  state: ProbeState;
  readonly device?: VirtioDevice;
  driver?: VirtioDriver;
  instance?: unknown;
  error?: VirtioError;
}

export interface VirtioProbeResult {
  readonly devices: ProbedVirtioDevice[];
  /** Boot report, one line each; the caller prints them. */
  readonly lines: string[];
}

/**
 * Takes an acknowledged device through negotiation, the driver's attach, DRIVER_OK and the
 * driver's ready hook. Also how a driver loaded after probing claims an "unclaimed" device.
 */
export function claimVirtioDevice(probed: ProbedVirtioDevice, driver: VirtioDriver): void {
  const device = probed.device;
  if (device === undefined || probed.state !== "unclaimed") return;
  try {
    device.negotiate(driver.features);
    const instance = driver.attach(device);
    device.driverOk();
    driver.ready?.(instance);
    probed.state = "ready";
    probed.driver = driver;
    probed.instance = instance;
  } catch (cause) {
    probed.state = "failed";
    probed.error = device.fail(cause);
  }
}

/** Resets and acknowledges the device, then hands it to its registered driver, if any. */
function probeOne(name: string, open: () => VirtioDevice, registry: VirtioDriverRegistry): ProbedVirtioDevice {
  let device: VirtioDevice | undefined;
  try {
    device = open();
    device.acknowledge();
  } catch (cause) {
    return { name, state: "failed", device, error: device ? device.fail(cause) : asVirtioError(name, cause) };
  }
  const probed: ProbedVirtioDevice = { name, state: "unclaimed", device };
  const driver = registry.find(device.transport.deviceType);
  if (driver !== undefined) claimVirtioDevice(probed, driver);
  return probed;
}

function finish(devices: ProbedVirtioDevice[]): VirtioProbeResult {
  return { devices, lines: formatVirtioReport(devices) };
}

export interface VirtioPciProbeOptions {
  /** Lets drivers bind MSI-X or INTx; without it every device is polled. */
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
    return new VirtioDevice(platform, transport, router && new PciInterruptBinder(router, config, fn, transport));
  };
  const devices = functions.filter(isVirtioPci).map((fn) => probeOne(formatPciAddress(fn.address), open(fn), registry));
  return finish(devices);
}

export interface MmioWindow {
  readonly base: number;
  readonly size: number;
}

/** virtio-mmio devices at known addresses (from the command line or firmware tables). */
export function probeVirtioMmio(
  platform: Platform,
  windows: readonly MmioWindow[],
  registry: VirtioDriverRegistry = virtioDrivers,
): VirtioProbeResult {
  const devices = windows.map((w) => {
    const name = `mmio@0x${w.base.toString(16)}`;
    return probeOne(
      name,
      () => {
        platform.mapPhysical(w.base, w.size, true);
        return new VirtioDevice(platform, new MmioTransport(platform, name, new MemoryRegion(platform.mmio, w.base, w.size)));
      },
      registry,
    );
  });
  return finish(devices);
}
