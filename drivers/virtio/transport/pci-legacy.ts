import type { Platform } from "../../../kernel/platform";
import type { IoRegion } from "../../../kernel/pci/io-region";
import { LEGACY_CONFIG_OFFSET, LEGACY_CONFIG_OFFSET_MSIX, LEGACY_MAX_QUEUES, LEGACY_PFN_SHIFT, LEGACY_QUEUE_ALIGN, LegacyReg } from "./legacy-registers";
import { LEGACY_FEATURE_MASK } from "../features";
import { NO_VECTOR } from "../interrupts";
import { VirtioQueueError } from "../errors";
import type { NotifyKind, QueueAddresses, RingPlacement, Transport } from "./transport";
import { TransportBase } from "./transport";

const PFN_LIMIT = 0x1_0000_0000;

/** Virtio 0.9 ("legacy") over PCI BAR0: fixed register block, 32 feature bits, queue PFNs. */
export class LegacyPciTransport extends TransportBase implements Transport {
  readonly kind = "legacy";
  readonly notifyKind: NotifyKind;
  readonly featureMask = LEGACY_FEATURE_MASK;
  readonly hasFeaturesOk = false;
  readonly queueSizeFixed = true;
  readonly ringPlacement: RingPlacement = { contiguous: true, align: LEGACY_QUEUE_ALIGN };
  private readonly queueCount: number;

  /** `msixEnabled` is asked on each config access: enabling MSI-X moves the device config. */
  constructor(
    platform: Platform,
    readonly device: string,
    readonly deviceType: number,
    private readonly regs: IoRegion,
    private readonly msixEnabled: () => boolean,
  ) {
    super(platform);
    this.notifyKind = regs.space;
    this.queueCount = this.countQueues();
  }

  readDeviceFeatures(): bigint {
    return BigInt(this.regs.read32(LegacyReg.HostFeatures));
  }
  writeDriverFeatures(features: bigint): void {
    this.regs.write32(LegacyReg.GuestFeatures, Number(features & LEGACY_FEATURE_MASK));
  }
  getStatus(): number {
    return this.regs.read8(LegacyReg.Status);
  }
  setStatus(status: number): void {
    this.regs.write8(LegacyReg.Status, status);
  }
  numQueues(): number {
    return this.queueCount;
  }

  queueMaxSize(index: number): number {
    this.selectQueue(index);
    return this.regs.read16(LegacyReg.QueueSize);
  }

  setupQueue(index: number, size: number, addresses: QueueAddresses): void {
    const fixed = this.queueMaxSize(index);
    if (size !== fixed) {
      throw new VirtioQueueError(this.device, "queue-size", `queue ${index}: legacy size is fixed at ${fixed}, asked ${size}`);
    }
    if (addresses.desc % LEGACY_QUEUE_ALIGN !== 0 || addresses.desc / LEGACY_QUEUE_ALIGN >= PFN_LIMIT) {
      throw new VirtioQueueError(this.device, "queue-address", `queue ${index}: ring at 0x${addresses.desc.toString(16)} has no 32-bit PFN`);
    }
    this.regs.write32(LegacyReg.QueuePfn, addresses.desc / 2 ** LEGACY_PFN_SHIFT);
  }

  notify(index: number): void {
    this.regs.write16(LegacyReg.QueueNotify, index);
  }

  readIsr(): number {
    return this.regs.read8(LegacyReg.Isr);
  }

  setConfigVector(vector: number): number {
    if (!this.msixEnabled()) return NO_VECTOR;
    this.regs.write16(LegacyReg.ConfigMsixVector, vector);
    return this.regs.read16(LegacyReg.ConfigMsixVector);
  }

  setQueueVector(index: number, vector: number): number {
    if (!this.msixEnabled()) return NO_VECTOR;
    this.selectQueue(index);
    this.regs.write16(LegacyReg.QueueMsixVector, vector);
    return this.regs.read16(LegacyReg.QueueMsixVector);
  }

  /** Legacy has no generation counter; multi-byte fields can tear. */
  configGeneration(): number {
    return 0;
  }

  readConfig8(offset: number): number {
    return this.regs.read8(this.configBase() + offset);
  }
  readConfig16(offset: number): number {
    return this.regs.read16(this.configBase() + offset);
  }
  readConfig32(offset: number): number {
    return this.regs.read32(this.configBase() + offset);
  }
  writeConfig8(offset: number, value: number): void {
    this.regs.write8(this.configBase() + offset, value);
  }
  writeConfig16(offset: number, value: number): void {
    this.regs.write16(this.configBase() + offset, value);
  }
  writeConfig32(offset: number, value: number): void {
    this.regs.write32(this.configBase() + offset, value);
  }

  private configBase(): number {
    return this.msixEnabled() ? LEGACY_CONFIG_OFFSET_MSIX : LEGACY_CONFIG_OFFSET;
  }

  private selectQueue(index: number): void {
    if (!(index >= 0 && index < LEGACY_MAX_QUEUES)) {
      throw new VirtioQueueError(this.device, "queue-index", `queue ${index} out of range`);
    }
    this.regs.write16(LegacyReg.QueueSelect, index);
  }

  private countQueues(): number {
    let count = 0;
    while (count < LEGACY_MAX_QUEUES && this.queueMaxSize(count) !== 0) count++;
    return count;
  }
}
