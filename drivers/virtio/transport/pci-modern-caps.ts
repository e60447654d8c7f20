import type { PciConfigAccess } from "../../../kernel/pci/config";
import type { PciFunction } from "../../../kernel/pci/device";
import { isBarAssigned } from "../../../kernel/pci/bar";
import { PciCapabilityId } from "../../../kernel/pci/registers";
import { readRegister, type RegisterReadPort } from "../register";
import { COMMON_CFG_MIN_LENGTH, ISR_MIN_LENGTH, NOTIFY_WIDTH } from "./common-cfg";
import {
  VIRTIO_CAP_MIN_LENGTH,
  VIRTIO_MAX_BAR,
  VIRTIO_NOTIFY_CAP_MIN_LENGTH,
  VIRTIO_PCI_CAP,
  VIRTIO_PCI_NOTIFY_CAP,
  VirtioCfgType,
} from "./pci-capability";

/** A usable vendor capability: a window of `length` bytes at `offset` inside BAR `bar`. */
export interface VirtioPciWindow {
  readonly bar: number;
  readonly offset: number;
  readonly length: number;
}

export interface ModernLayout {
  readonly common: VirtioPciWindow;
  readonly notify: VirtioPciWindow;
  readonly notifyMultiplier: number;
  readonly isr: VirtioPciWindow;
  readonly deviceConfig?: VirtioPciWindow;
}

export type ModernLayoutResult = { layout: ModernLayout } | { problems: string[] };

/** Device configuration layouts are the driver's business; the transport asks for one byte. */
const DEVICE_CFG_MIN_LENGTH = 1;

const MIN_WINDOW: Readonly<Record<number, number>> = {
  [VirtioCfgType.Common]: COMMON_CFG_MIN_LENGTH,
  [VirtioCfgType.Notify]: NOTIFY_WIDTH,
  [VirtioCfgType.Isr]: ISR_MIN_LENGTH,
  [VirtioCfgType.Device]: DEVICE_CFG_MIN_LENGTH,
};

/** The capability at `at` in the function's config space, as a port its entries are read through. */
function capabilityPort(config: PciConfigAccess, fn: PciFunction, at: number): RegisterReadPort {
  return {
    read8: (offset) => config.read8(fn.address, at + offset),
    read16: (offset) => config.read16(fn.address, at + offset),
    read32: (offset) => config.read32(fn.address, at + offset),
  };
}

/**
 * Picks the first usable capability of each type (devices list the preferred one first),
 * skipping ones that are too short, name a BAR above 5 or an unassigned one, or reach past
 * the end of their BAR. Returns why nothing usable was found otherwise.
 */
export function findModernLayout(config: PciConfigAccess, fn: PciFunction): ModernLayoutResult {
  const problems: string[] = [];
  const chosen = new Map<number, { window: VirtioPciWindow; cap: RegisterReadPort }>();
  for (const cap of fn.capabilities) {
    if (cap.id !== PciCapabilityId.Vendor) continue;
    const at = cap.offset;
    const port = capabilityPort(config, fn, at);
    const capLength = readRegister(port, VIRTIO_PCI_CAP.cap_len);
    const cfgType = readRegister(port, VIRTIO_PCI_CAP.cfg_type);
    const minWindow = MIN_WINDOW[cfgType];
    if (minWindow === undefined || chosen.has(cfgType)) continue;
    const where = `cap@0x${at.toString(16)} type ${cfgType}`;
    const minCapLength = cfgType === VirtioCfgType.Notify ? VIRTIO_NOTIFY_CAP_MIN_LENGTH : VIRTIO_CAP_MIN_LENGTH;
    if (capLength < minCapLength) {
      problems.push(`${where}: cap_len ${capLength} < ${minCapLength}`);
      continue;
    }
    const barIndex = readRegister(port, VIRTIO_PCI_CAP.bar);
    const offset = readRegister(port, VIRTIO_PCI_CAP.offset);
    const length = readRegister(port, VIRTIO_PCI_CAP.length);
    const bar = barIndex <= VIRTIO_MAX_BAR ? fn.bars[barIndex] : undefined;
    if (bar === undefined || !isBarAssigned(bar)) {
      problems.push(`${where}: BAR${barIndex} absent or unassigned`);
    } else if (length < minWindow) {
      problems.push(`${where}: length ${length} < ${minWindow}`);
    } else if (offset + length > bar.size) {
      problems.push(`${where}: [0x${offset.toString(16)}, +0x${length.toString(16)}) outside BAR${barIndex} (0x${bar.size.toString(16)})`);
    } else {
      chosen.set(cfgType, { window: { bar: barIndex, offset, length }, cap: port });
    }
  }
  const common = chosen.get(VirtioCfgType.Common);
  const notify = chosen.get(VirtioCfgType.Notify);
  const isr = chosen.get(VirtioCfgType.Isr);
  if (common === undefined || notify === undefined || isr === undefined) {
    const missing = [common ? "" : "common", notify ? "" : "notify", isr ? "" : "isr"].filter((s) => s !== "");
    return { problems: [`no usable ${missing.join("/")} capability`, ...problems] };
  }
  return {
    layout: {
      common: common.window,
      notify: notify.window,
      notifyMultiplier: readRegister(notify.cap, VIRTIO_PCI_NOTIFY_CAP.notify_off_multiplier),
      isr: isr.window,
      deviceConfig: chosen.get(VirtioCfgType.Device)?.window,
    },
  };
}
