import { PciCapabilityId, MsixReg } from "../../../kernel/pci/registers";
import type { SimMachine } from "../machine";
import { SimMsix } from "../msix";
import type { SimPciFunction } from "../pci";
import type { RegisterBlock } from "../registers";
import type { VirtioDeviceModel } from "./device-model";
import { VirtioPciInterrupts } from "./pci-interrupts";
import { LegacyInterface } from "./pci-legacy";
import { COMMON_CFG_SIZE, ModernInterface } from "./pci-modern";
import { VIRTIO_DEVICE_ID } from "./spec/device-ids";
import { VIRTIO_PCI_CAP, virtio_pci_cap } from "./spec/pci-capability";
import {
  VIRTIO_PCI_MODERN_DEVICE_ID_BASE,
  VIRTIO_PCI_MODERN_REVISION,
  VIRTIO_PCI_TRANSITIONAL_DEVICE_ID,
  VIRTIO_PCI_TRANSITIONAL_REVISION,
  VIRTIO_PCI_VENDOR_ID,
} from "./spec/pci-ids";
import { VIRTIO_PCI_LEGACY_CONFIG_OFFSET_MSIX } from "./spec/pci-legacy";

export type VirtioPciLayout = "modern" | "legacy" | "transitional";

export interface VirtioPciOptions {
  readonly bus?: number;
  readonly device: number;
  readonly fn?: number;
  readonly multifunction?: boolean;
  readonly layout: VirtioPciLayout;
  /** Where the modern notify window lives (QEMU modern-pio-notify=on: "io"). */
  readonly notify?: "mem" | "io";
  readonly notifyMultiplier?: number;
  /** MSI-X table size; 0 for none. */
  readonly msixVectors?: number;
  /** BAR of the modern register windows: 4 as a 64-bit BAR (QEMU's, the default), or 5 as a 32-bit one. */
  readonly modernBar?: 4 | 5;
  /** The modern register BAR's address. */
  readonly memBase?: number;
  /** The ISA IRQ (and GSI) firmware routed INTA# to; 10 + slot % 6 by default. */
  readonly interruptLine?: number;
}

export const ModernBar = { Index: 4, Size: 0x4000, Common: 0x0, Isr: 0x1000, Device: 0x2000, Notify: 0x3000 } as const;
const MSIX_BAR = 1;
const MSIX_BAR_SIZE = 0x1000;
const MSIX_PBA_OFFSET = 0x800;
const NOTIFY_IO_BAR = 2;
const LEGACY_BAR = 0;
/** Legacy BAR0 holds the header (with the MSI-X fields) and then the device configuration. */
const LEGACY_REGISTERS = VIRTIO_PCI_LEGACY_CONFIG_OFFSET_MSIX;
/** Modern subsystem device ID: any value of 0x40 or more (section 4.1.2.1); QEMU's. */
const MODERN_SUBSYSTEM_ID = 0x1100;
/** The size of struct virtio_pci_cap, which cap_len counts from. */
const VIRTIO_PCI_CAP_SIZE = virtio_pci_cap.length.offset + virtio_pci_cap.length.width;

/** PCI class codes QEMU gives these functions (not part of the virtio specification). */
const CLASS_CODES: Readonly<Record<number, number>> = {
  [VIRTIO_DEVICE_ID.network]: 0x020000,
  [VIRTIO_DEVICE_ID.block]: 0x010000,
  [VIRTIO_DEVICE_ID.console]: 0x078000,
};

export interface SimVirtioPci {
  readonly fn: SimPciFunction;
  /** Config-space offsets of the capabilities, by cfg type (and "msix"), for fault injection. */
  readonly caps: Record<string, number>;
  /** Assigned addresses: the modern register BAR (memory) and the legacy BAR0 (ports). */
  readonly bars: { readonly modern?: number; readonly legacy?: number };
  readonly msix?: SimMsix;
  readonly interrupts: VirtioPciInterrupts;
}

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(n, 4)));
}

/** Places `model` on the PCI bus as a modern, legacy or transitional virtio function. */
export function addVirtioPci(machine: SimMachine, model: VirtioDeviceModel, options: VirtioPciOptions): SimVirtioPci {
  const bus = options.bus ?? 0;
  const fnNumber = options.fn ?? 0;
  const slot = (bus * 32 + options.device) * 8 + fnNumber;
  const modern = options.layout !== "legacy";
  const legacy = options.layout !== "modern";
  const interruptLine = options.interruptLine ?? 10 + (slot % 6);
  const fn = machine.pci.add(bus, options.device, fnNumber, {
    vendorId: VIRTIO_PCI_VENDOR_ID,
    deviceId: legacy ? (VIRTIO_PCI_TRANSITIONAL_DEVICE_ID[model.deviceType] ?? 0x1000) : VIRTIO_PCI_MODERN_DEVICE_ID_BASE + model.deviceType,
    revision: legacy ? VIRTIO_PCI_TRANSITIONAL_REVISION : VIRTIO_PCI_MODERN_REVISION,
    classCode: CLASS_CODES[model.deviceType] ?? 0x00ff00,
    subsystemVendorId: VIRTIO_PCI_VENDOR_ID,
    subsystemId: legacy ? model.deviceType : MODERN_SUBSYSTEM_ID,
    multifunction: options.multifunction,
    interruptPin: 1,
    interruptLine,
  });
  model.name = fn.name;
  model.mode = modern ? "modern" : "legacy";
  const caps: Record<string, number> = {};
  const bars: { modern?: number; legacy?: number } = {};

  const vectors = options.msixVectors ?? 4;
  let msix: SimMsix | undefined;
  if (vectors > 0) {
    model.msixVectors = vectors;
    caps.msix = fn.addCapability(PciCapabilityId.MsiX, [...[(vectors - 1) & 0xff, (vectors - 1) >> 8], ...le32(MSIX_BAR), ...le32(MSIX_PBA_OFFSET | MSIX_BAR)]);
    fn.setWritable(caps.msix + MsixReg.MessageControl, 2, 0xc000);
    msix = new SimMsix(fn, caps.msix, vectors, MSIX_PBA_OFFSET, machine.apic, machine.violations);
    fn.setBar(MSIX_BAR, { kind: "mem32", size: MSIX_BAR_SIZE, base: machine.allocateMem(MSIX_BAR_SIZE), registers: msix.registers });
  }
  const interrupts = new VirtioPciInterrupts(fn, model, msix, machine.ioApic, interruptLine);
  model.interruptSink = interrupts;

  if (legacy) {
    const iface = new LegacyInterface(model, () => caps.msix !== undefined && fn.isMsixEnabled(caps.msix));
    const size = nextPowerOfTwo(LEGACY_REGISTERS + model.config.length);
    bars.legacy = machine.allocateIo(size);
    fn.setBar(LEGACY_BAR, { kind: "io", size, base: bars.legacy, registers: iface });
  }

  if (modern) {
    const multiplier = options.notifyMultiplier ?? 4;
    const iface = new ModernInterface(model, multiplier);
    const notifyLength = Math.max(model.queues.length * multiplier, 2);
    const windows: [number, RegisterBlock][] = [
      [ModernBar.Common, iface.common],
      [ModernBar.Isr, iface.isr],
      [ModernBar.Device, iface.device],
      [ModernBar.Notify, iface.notify],
    ];
    const memBase = options.memBase ?? machine.allocateMem(ModernBar.Size);
    bars.modern = memBase;
    const modernBar = options.modernBar ?? ModernBar.Index;
    const kind = modernBar === ModernBar.Index ? "mem64" : "mem32";
    fn.setBar(modernBar, { kind, prefetchable: true, size: ModernBar.Size, base: memBase, registers: dispatch(windows, 0x1000) });
    const vendorCap = (type: number, bar: number, offset: number, length: number, extra: number[] = []) =>
      fn.addCapability(PciCapabilityId.Vendor, [VIRTIO_PCI_CAP_SIZE + extra.length, type, bar, 0, 0, 0, ...le32(offset), ...le32(length), ...extra]);
    caps.common = vendorCap(VIRTIO_PCI_CAP.COMMON_CFG, modernBar, ModernBar.Common, COMMON_CFG_SIZE);
    if (options.notify === "io") {
      const ioSize = nextPowerOfTwo(notifyLength);
      fn.setBar(NOTIFY_IO_BAR, { kind: "io", size: ioSize, base: machine.allocateIo(ioSize), registers: iface.notify });
      caps.notify = vendorCap(VIRTIO_PCI_CAP.NOTIFY_CFG, NOTIFY_IO_BAR, 0, notifyLength, le32(multiplier));
    } else {
      caps.notify = vendorCap(VIRTIO_PCI_CAP.NOTIFY_CFG, modernBar, ModernBar.Notify, notifyLength, le32(multiplier));
    }
    caps.isr = vendorCap(VIRTIO_PCI_CAP.ISR_CFG, modernBar, ModernBar.Isr, 1);
    if (model.config.length > 0) caps.device = vendorCap(VIRTIO_PCI_CAP.DEVICE_CFG, modernBar, ModernBar.Device, model.config.length);
    caps.pciCfg = vendorCap(VIRTIO_PCI_CAP.PCI_CFG, 0, 0, 0, [0, 0, 0, 0]);
  }
  return { fn, caps, bars, msix, interrupts };
}

/** Routes accesses in fixed-size slices of a BAR to one register block each. */
function dispatch(windows: readonly [number, RegisterBlock][], slice: number): RegisterBlock {
  const find = (offset: number) => windows.find(([base]) => offset >= base && offset < base + slice);
  return {
    read: (offset, width) => {
      const hit = find(offset);
      return hit ? hit[1].read(offset - hit[0], width) : 0;
    },
    write: (offset, width, value) => {
      const hit = find(offset);
      hit?.[1].write(offset - hit[0], width, value);
    },
  };
}
