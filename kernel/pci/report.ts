import { formatPciAddress } from "./address";
import type { PciBar } from "./bar";
import type { PciFunction } from "./device";

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}

function formatBar(bar: PciBar): string {
  const flags = bar.prefetchable ? ",pf" : "";
  return `bar${bar.index}=${bar.kind}${flags}:0x${bar.base.toString(16)}+0x${bar.size.toString(16)}`;
}

const PIN_NAMES = ["-", "A", "B", "C", "D"];

/**
 * One boot-report line, e.g.
 * `pci 00:03.0 1af4:1041 class=020000 rev=01 subsys=1af4:1100 irq=A/11 bar4=mem64,pf:0xfe000000+0x4000 caps=11,09`.
 */
export function formatPciFunction(fn: PciFunction): string {
  const parts = [
    "pci",
    formatPciAddress(fn.address),
    `${hex(fn.vendorId, 4)}:${hex(fn.deviceId, 4)}`,
    `class=${hex(fn.classCode, 6)}`,
    `rev=${hex(fn.revision, 2)}`,
  ];
  if (fn.secondaryBus !== undefined) parts.push(`bridge=${hex(fn.secondaryBus, 2)}`);
  else parts.push(`subsys=${hex(fn.subsystemVendorId, 4)}:${hex(fn.subsystemId, 4)}`);
  parts.push(`irq=${PIN_NAMES[fn.interruptPin] ?? "?"}/${fn.interruptLine}`);
  for (const bar of fn.bars) if (bar !== undefined) parts.push(formatBar(bar));
  parts.push(`caps=${fn.capabilities.map((c) => hex(c.id, 2)).join(",") || "-"}`);
  if (fn.capabilityError !== undefined) parts.push(`cap-error="${fn.capabilityError}"`);
  return parts.join(" ");
}
