import type { PciAddress } from "./address";
import type { PciConfigAccess } from "./config";
import { PciReg } from "./registers";

/** Sets bits (PciCommand.*) in the command register, leaving the others as they are. */
export function enablePciCommand(config: PciConfigAccess, address: PciAddress, bits: number): void {
  const command = config.read16(address, PciReg.Command);
  if ((command & bits) !== bits) config.write16(address, PciReg.Command, command | bits);
}

/** Clears bits (PciCommand.*) in the command register, leaving the others as they are. */
export function disablePciCommand(config: PciConfigAccess, address: PciAddress, bits: number): void {
  const command = config.read16(address, PciReg.Command);
  if ((command & bits) !== 0) config.write16(address, PciReg.Command, command & ~bits);
}
