import type { PciAddress } from "./address";
import type { PciConfigAccess } from "./config";
import {
  MSIX_BIR_MASK,
  MSIX_CAPABILITY_LENGTH,
  MSIX_ENABLE,
  MSIX_TABLE_SIZE_MASK,
  MsixReg,
  PCI_CAPABILITY_MAX_ENTRIES,
  PCI_CAPABILITY_MIN_OFFSET,
  PCI_CAPABILITY_NEXT,
  PCI_CAPABILITY_POINTER_MASK,
  PCI_CONFIG_SPACE_SIZE,
  PCI_STATUS_CAPABILITIES,
  PciCapabilityId,
  PciReg,
} from "./registers";

export interface PciCapability {
  readonly id: number;
  /** Offset of the capability header in configuration space. */
  readonly offset: number;
}

export interface CapabilityList {
  readonly capabilities: PciCapability[];
  /** Why the walk stopped early (a loop, a bad pointer); the entries before it are kept. */
  readonly error?: string;
}

/** Walks the capability list, refusing pointers into the header, misaligned ones and loops. */
export function readCapabilities(config: PciConfigAccess, address: PciAddress): CapabilityList {
  const capabilities: PciCapability[] = [];
  if ((config.read16(address, PciReg.Status) & PCI_STATUS_CAPABILITIES) === 0) return { capabilities };
  let pointer = config.read8(address, PciReg.CapabilitiesPointer);
  while (pointer !== 0) {
    if (pointer < PCI_CAPABILITY_MIN_OFFSET || (pointer & ~PCI_CAPABILITY_POINTER_MASK) !== 0) {
      return { capabilities, error: `bad capability pointer 0x${pointer.toString(16)}` };
    }
    if (capabilities.length === PCI_CAPABILITY_MAX_ENTRIES) {
      return { capabilities, error: `capability list longer than ${PCI_CAPABILITY_MAX_ENTRIES} entries (loop)` };
    }
    capabilities.push({ id: config.read8(address, pointer), offset: pointer });
    pointer = config.read8(address, pointer + PCI_CAPABILITY_NEXT);
  }
  return { capabilities };
}

export interface MsixInfo {
  readonly capabilityOffset: number;
  readonly tableSize: number;
  readonly tableBar: number;
  readonly tableOffset: number;
  readonly pbaBar: number;
  readonly pbaOffset: number;
}

/** Where the MSI-X capability could not be read; the function is then used without MSI-X. */
export class MsixCapabilityError extends Error {}

/** Throws MsixCapabilityError when the capability does not fit inside configuration space. */
export function readMsix(config: PciConfigAccess, address: PciAddress, capabilities: PciCapability[]): MsixInfo | undefined {
  const cap = capabilities.find((c) => c.id === PciCapabilityId.MsiX);
  if (cap === undefined) return undefined;
  if (cap.offset + MSIX_CAPABILITY_LENGTH > PCI_CONFIG_SPACE_SIZE) {
    throw new MsixCapabilityError(`MSI-X capability at 0x${cap.offset.toString(16)} runs past configuration space`);
  }
  const control = config.read16(address, cap.offset + MsixReg.MessageControl);
  const table = config.read32(address, cap.offset + MsixReg.Table);
  const pba = config.read32(address, cap.offset + MsixReg.Pba);
  return {
    capabilityOffset: cap.offset,
    tableSize: (control & MSIX_TABLE_SIZE_MASK) + 1,
    tableBar: table & MSIX_BIR_MASK,
    tableOffset: (table & ~MSIX_BIR_MASK) >>> 0,
    pbaBar: pba & MSIX_BIR_MASK,
    pbaOffset: (pba & ~MSIX_BIR_MASK) >>> 0,
  };
}

/** Live state: whether the MSI-X enable bit is set now (it moves the legacy virtio config). */
export function isMsixEnabled(config: PciConfigAccess, address: PciAddress, msix: MsixInfo | undefined): boolean {
  if (msix === undefined) return false;
  return (config.read16(address, msix.capabilityOffset + MsixReg.MessageControl) & MSIX_ENABLE) !== 0;
}
