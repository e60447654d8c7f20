import type { PciAddress } from "./address";
import type { PciBar } from "./bar";
import type { MsixInfo, PciCapability } from "./capabilities";

/** One PCI function as found at enumeration time. */
export interface PciFunction {
  readonly address: PciAddress;
  readonly vendorId: number;
  readonly deviceId: number;
  /** Base class << 16 | subclass << 8 | programming interface. */
  readonly classCode: number;
  readonly revision: number;
  /** Header layout (0 endpoint, 1 PCI-PCI bridge), without the multi-function bit. */
  readonly headerType: number;
  readonly subsystemVendorId: number;
  readonly subsystemId: number;
  /** 0 none, 1..4 INTA..INTD. */
  readonly interruptPin: number;
  readonly interruptLine: number;
  /** Indexed by BAR number; undefined for unimplemented BARs and 64-bit upper halves. */
  readonly bars: readonly (PciBar | undefined)[];
  readonly capabilities: readonly PciCapability[];
  readonly capabilityError?: string;
  readonly msix?: MsixInfo;
  /** Bridges only: the bus behind the bridge. */
  readonly secondaryBus?: number;
}

export interface PciMatch {
  vendorId: number;
  deviceId?: number;
  /** Inclusive device-id range, for families such as virtio. */
  deviceIdRange?: readonly [number, number];
}

export function matchesPci(fn: PciFunction, match: PciMatch): boolean {
  if (fn.vendorId !== match.vendorId) return false;
  if (match.deviceId !== undefined && fn.deviceId !== match.deviceId) return false;
  const range = match.deviceIdRange;
  return range === undefined || (fn.deviceId >= range[0] && fn.deviceId <= range[1]);
}
