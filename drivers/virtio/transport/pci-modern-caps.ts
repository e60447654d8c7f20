import type { PciConfigAccess } from "../../../kernel/pci/config";
import type { PciFunction } from "../../../kernel/pci/device";
import { isBarAssigned } from "../../../kernel/pci/bar";
import { PciCapabilityId } from "../../../kernel/pci/registers";
import { COMMON_CFG_MIN_LENGTH, ISR_MIN_LENGTH, NOTIFY_WIDTH } from "./common-cfg";
import { VIRTIO_CAP_MIN_LENGTH, VIRTIO_MAX_BAR, VIRTIO_NOTIFY_CAP_MIN_LENGTH, VirtioCap, VirtioCfgType } from "./pci-capability";

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
  readonly device?: VirtioPciWindow;
}

export type ModernLayoutResult = { layout: ModernLayout } | { problems: string[] };

const MIN_WINDOW: Readonly<Record<number, number>> = {
  [VirtioCfgType.Common]: COMMON_CFG_MIN_LENGTH,
  [VirtioCfgType.Notify]: NOTIFY_WIDTH,
  [VirtioCfgType.Isr]: ISR_MIN_LENGTH,
  [VirtioCfgType.Device]: 1,
};

/**
 * Picks the first usable capability of each type (devices list the preferred one first),
 * skipping ones that are too short, name a BAR above 5 or an unassigned one, or reach past
 * the end of their BAR. Returns why nothing usable was found otherwise.
 */
export function findModernLayout(config: PciConfigAccess, fn: PciFunction): ModernLayoutResult {
  const problems: string[] = [];
  const chosen = new Map<number, { window: VirtioPciWindow; capOffset: number }>();
  for (const cap of fn.capabilities) {
    if (cap.id !== PciCapabilityId.Vendor) continue;
    const at = cap.offset;
    const capLength = config.read8(fn.address, at + VirtioCap.Length);
    const cfgType = config.read8(fn.address, at + VirtioCap.CfgType);
    const minWindow = MIN_WINDOW[cfgType];
    if (minWindow === undefined || chosen.has(cfgType)) continue;
    const where = `cap@0x${at.toString(16)} type ${cfgType}`;
    const minCapLength = cfgType === VirtioCfgType.Notify ? VIRTIO_NOTIFY_CAP_MIN_LENGTH : VIRTIO_CAP_MIN_LENGTH;
    if (capLength < minCapLength) {
      problems.push(`${where}: cap_len ${capLength} < ${minCapLength}`);
      continue;
    }
    const barIndex = config.read8(fn.address, at + VirtioCap.Bar);
    const offset = config.read32(fn.address, at + VirtioCap.Offset);
    const length = config.read32(fn.address, at + VirtioCap.RegionLength);
    const bar = barIndex <= VIRTIO_MAX_BAR ? fn.bars[barIndex] : undefined;
    if (bar === undefined || !isBarAssigned(bar)) {
      problems.push(`${where}: BAR${barIndex} absent or unassigned`);
    } else if (length < minWindow) {
      problems.push(`${where}: length ${length} < ${minWindow}`);
    } else if (offset + length > bar.size) {
      problems.push(`${where}: [0x${offset.toString(16)}, +0x${length.toString(16)}) outside BAR${barIndex} (0x${bar.size.toString(16)})`);
    } else {
      chosen.set(cfgType, { window: { bar: barIndex, offset, length }, capOffset: at });
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
      notifyMultiplier: config.read32(fn.address, notify.capOffset + VirtioCap.NotifyMultiplier),
      isr: isr.window,
      device: chosen.get(VirtioCfgType.Device)?.window,
    },
  };
}
