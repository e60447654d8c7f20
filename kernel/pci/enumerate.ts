import type { PciAddress } from "./address";
import { readBars } from "./bar";
import { MsixCapabilityError, readCapabilities, readMsix } from "./capabilities";
import type { MsixInfo, PciCapability } from "./capabilities";
import type { PciConfigAccess } from "./config";
import type { PciFunction } from "./device";
import {
  PCI_BRIDGE_BAR_COUNT,
  PCI_DEVICES_PER_BUS,
  PCI_ENDPOINT_BAR_COUNT,
  PCI_FUNCTIONS_PER_DEVICE,
  PCI_HEADER_MULTIFUNCTION,
  PCI_HEADER_TYPE_MASK,
  PCI_VENDOR_NONE,
  PciHeaderType,
  PciReg,
} from "./registers";

/**
 * Every function reachable from bus 0, following PCI-PCI bridges to their secondary buses.
 * Each bus is scanned at most once, so a misconfigured bridge cannot make this loop.
 */
export function enumeratePci(config: PciConfigAccess): PciFunction[] {
  const found: PciFunction[] = [];
  const pending = [0];
  const scanned = new Set<number>();
  while (pending.length > 0) {
    const bus = pending.shift() as number;
    if (scanned.has(bus)) continue;
    scanned.add(bus);
    for (let device = 0; device < PCI_DEVICES_PER_BUS; device++) {
      for (const fn of scanDevice(config, bus, device)) {
        found.push(fn);
        if (fn.secondaryBus !== undefined && fn.secondaryBus !== 0) pending.push(fn.secondaryBus);
      }
    }
  }
  return found;
}

function scanDevice(config: PciConfigAccess, bus: number, device: number): PciFunction[] {
  const first: PciAddress = { bus, device, fn: 0 };
  if (config.read16(first, PciReg.VendorId) === PCI_VENDOR_NONE) return [];
  const multifunction = (config.read8(first, PciReg.HeaderType) & PCI_HEADER_MULTIFUNCTION) !== 0;
  const functions = [readFunction(config, first)];
  if (!multifunction) return functions;
  for (let fn = 1; fn < PCI_FUNCTIONS_PER_DEVICE; fn++) {
    const address: PciAddress = { bus, device, fn };
    if (config.read16(address, PciReg.VendorId) !== PCI_VENDOR_NONE) functions.push(readFunction(config, address));
  }
  return functions;
}

export function readFunction(config: PciConfigAccess, address: PciAddress): PciFunction {
  const headerType = config.read8(address, PciReg.HeaderType) & PCI_HEADER_TYPE_MASK;
  const isBridge = headerType === PciHeaderType.Bridge;
  const { capabilities, error } = readCapabilities(config, address);
  const msix = readMsixOrReport(config, address, capabilities);
  const classAndRevision = config.read32(address, PciReg.Revision);
  return {
    address,
    vendorId: config.read16(address, PciReg.VendorId),
    deviceId: config.read16(address, PciReg.DeviceId),
    classCode: classAndRevision >>> 8,
    revision: classAndRevision & 0xff,
    headerType,
    subsystemVendorId: isBridge ? 0 : config.read16(address, PciReg.SubsystemVendorId),
    subsystemId: isBridge ? 0 : config.read16(address, PciReg.SubsystemId),
    interruptPin: config.read8(address, PciReg.InterruptPin),
    interruptLine: config.read8(address, PciReg.InterruptLine),
    bars: readBars(config, address, isBridge ? PCI_BRIDGE_BAR_COUNT : PCI_ENDPOINT_BAR_COUNT),
    capabilities,
    capabilityError: error ?? msix.error,
    msix: msix.info,
    secondaryBus: isBridge ? config.read8(address, PciReg.SecondaryBus) : undefined,
  };
}

/** A malformed MSI-X capability is reported on the function (which drivers then refuse), never thrown. */
function readMsixOrReport(
  config: PciConfigAccess,
  address: PciAddress,
  capabilities: PciCapability[],
): { info?: MsixInfo; error?: string } {
  try {
    return { info: readMsix(config, address, capabilities) };
  } catch (cause) {
    if (cause instanceof MsixCapabilityError) return { error: cause.message };
    throw cause;
  }
}
