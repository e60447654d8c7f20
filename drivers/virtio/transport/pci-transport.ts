import type { Platform } from "../../../kernel/platform";
import { formatPciAddress } from "../../../kernel/pci/address";
import { isBarAssigned } from "../../../kernel/pci/bar";
import { isMsixEnabled } from "../../../kernel/pci/capabilities";
import { enablePciCommand } from "../../../kernel/pci/command";
import type { PciConfigAccess } from "../../../kernel/pci/config";
import type { PciFunction } from "../../../kernel/pci/device";
import { openBar } from "../../../kernel/pci/io-region";
import type { IoRegion } from "../../../kernel/pci/io-region";
import { PciCommand } from "../../../kernel/pci/registers";
import { VIRTIO_PCI_MODERN_BASE, VIRTIO_PCI_MODERN_LAST, VIRTIO_PCI_TRANSITIONAL_FIRST, VIRTIO_PCI_TRANSITIONAL_LAST, VIRTIO_PCI_VENDOR } from "./pci-ids";
import { VirtioTransportError } from "../errors";
import { LegacyPciTransport } from "./pci-legacy";
import { ModernPciTransport } from "./pci-modern";
import { findModernLayout } from "./pci-modern-caps";
import type { VirtioPciWindow } from "./pci-modern-caps";
import type { Transport } from "./transport";

const LEGACY_BAR = 0;

export function isVirtioPci(fn: PciFunction): boolean {
  return (
    fn.vendorId === VIRTIO_PCI_VENDOR &&
    fn.deviceId >= VIRTIO_PCI_TRANSITIONAL_FIRST &&
    fn.deviceId <= VIRTIO_PCI_MODERN_LAST
  );
}

export function isTransitionalVirtio(fn: PciFunction): boolean {
  return fn.deviceId <= VIRTIO_PCI_TRANSITIONAL_LAST;
}

/** Transitional devices carry the type in the subsystem id; modern ones in the device id. */
export function virtioPciDeviceType(fn: PciFunction): number {
  return isTransitionalVirtio(fn) ? fn.subsystemId : fn.deviceId - VIRTIO_PCI_MODERN_BASE;
}

/**
 * Chooses the transport once: modern when its capabilities are usable, legacy BAR0 for
 * transitional devices otherwise. Enables bus mastering, which every virtio device needs.
 */
export function createPciTransport(platform: Platform, config: PciConfigAccess, fn: PciFunction): Transport {
  const name = formatPciAddress(fn.address);
  if (!isVirtioPci(fn)) {
    throw new VirtioTransportError(name, "not-virtio", `${fn.vendorId.toString(16)}:${fn.deviceId.toString(16)}`);
  }
  if (fn.capabilityError !== undefined) {
    throw new VirtioTransportError(name, "capabilities", fn.capabilityError);
  }
  const type = virtioPciDeviceType(fn);
  const found = findModernLayout(config, fn);
  let transport: Transport;
  if ("layout" in found) {
    const bars = new Map<number, IoRegion>();
    const open = (w: VirtioPciWindow): IoRegion => {
      let bar = bars.get(w.bar);
      if (bar === undefined) {
        bar = openBar(platform, config, fn, w.bar);
        bars.set(w.bar, bar);
      }
      return bar.window(w.offset, w.length);
    };
    const { layout } = found;
    transport = new ModernPciTransport(platform, name, type, {
      common: open(layout.common),
      notify: open(layout.notify),
      notifyMultiplier: layout.notifyMultiplier,
      isr: open(layout.isr),
      deviceConfig: layout.deviceConfig && open(layout.deviceConfig),
    });
  } else if (isTransitionalVirtio(fn)) {
    const bar = fn.bars[LEGACY_BAR];
    if (bar === undefined || !isBarAssigned(bar)) {
      throw new VirtioTransportError(name, "no-transport", `legacy BAR0 unusable; ${found.problems.join("; ")}`);
    }
    const regs = openBar(platform, config, fn, LEGACY_BAR);
    transport = new LegacyPciTransport(platform, name, type, regs, () => isMsixEnabled(config, fn.address, fn.msix));
  } else {
    throw new VirtioTransportError(name, "no-transport", found.problems.join("; "));
  }
  enablePciCommand(config, fn.address, PciCommand.BusMaster);
  return transport;
}
