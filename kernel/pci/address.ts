export interface PciAddress {
  readonly bus: number;
  readonly device: number;
  readonly fn: number;
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}

/** "bb:dd.f", the form lspci and the boot report use. */
export function formatPciAddress(address: PciAddress): string {
  return `${hex(address.bus, 2)}:${hex(address.device, 2)}.${address.fn}`;
}
