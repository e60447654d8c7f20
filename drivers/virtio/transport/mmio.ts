import type { Platform } from "../../../kernel/platform";
import type { IoRegion } from "../../../kernel/pci/io-region";
import { ALIGN_DESC } from "../ring/split-format";
import { LEGACY_FEATURE_MASK } from "../features";
import { LEGACY_QUEUE_ALIGN } from "./legacy-registers";
import { MMIO_MAGIC, MMIO_MAX_QUEUES, MMIO_VERSION_LEGACY, MMIO_VERSION_MODERN, MmioReg } from "./mmio-registers";
import { NO_VECTOR } from "../interrupts";
import { VirtioQueueError, VirtioTransportError } from "../errors";
import type { QueueAddresses, RingPlacement, Transport } from "./transport";
import { TransportBase, splitAddress } from "./transport";

/** Size of the register block before device config. */
export const MMIO_REGISTER_SPAN = MmioReg.Config;

/**
 * virtio-mmio, version 1 (legacy: page-frame queues, no FEATURES_OK) or 2 (modern).
 * The version is read once here; the two differ only in queue set-up and features.
 */
export class MmioTransport extends TransportBase implements Transport {
  readonly kind = "mmio";
  readonly notifyKind = "mem";
  readonly version: number;
  readonly deviceType: number;
  readonly featureMask: bigint;
  readonly hasFeaturesOk: boolean;
  readonly queueSizeFixed = false;
  readonly ringPlacement: RingPlacement;
  private readonly queueCount: number;

  constructor(
    platform: Platform,
    readonly device: string,
    private readonly regs: IoRegion,
  ) {
    super(platform);
    const magic = regs.read32(MmioReg.Magic);
    if (magic !== MMIO_MAGIC) throw new VirtioTransportError(device, "mmio-magic", `magic 0x${magic.toString(16)}`);
    this.version = regs.read32(MmioReg.Version);
    if (this.version !== MMIO_VERSION_LEGACY && this.version !== MMIO_VERSION_MODERN) {
      throw new VirtioTransportError(device, "mmio-version", `unsupported version ${this.version}`);
    }
    this.deviceType = regs.read32(MmioReg.DeviceId);
    const legacy = this.version === MMIO_VERSION_LEGACY;
    this.featureMask = legacy ? LEGACY_FEATURE_MASK : 0xffff_ffff_ffff_ffffn;
    this.hasFeaturesOk = !legacy;
    this.ringPlacement = legacy ? { contiguous: true, align: LEGACY_QUEUE_ALIGN } : { contiguous: false, align: ALIGN_DESC };
    this.queueCount = this.countQueues();
  }

  readDeviceFeatures(): bigint {
    this.regs.write32(MmioReg.DeviceFeaturesSel, 0);
    const low = this.regs.read32(MmioReg.DeviceFeatures);
    this.regs.write32(MmioReg.DeviceFeaturesSel, 1);
    const high = this.regs.read32(MmioReg.DeviceFeatures);
    return ((BigInt(high) << 32n) | BigInt(low)) & this.featureMask;
  }

  writeDriverFeatures(features: bigint): void {
    this.regs.write32(MmioReg.DriverFeaturesSel, 0);
    this.regs.write32(MmioReg.DriverFeatures, Number(features & 0xffff_ffffn));
    this.regs.write32(MmioReg.DriverFeaturesSel, 1);
    this.regs.write32(MmioReg.DriverFeatures, Number((features >> 32n) & 0xffff_ffffn));
  }

  getStatus(): number {
    return this.regs.read32(MmioReg.Status);
  }
  setStatus(status: number): void {
    this.regs.write32(MmioReg.Status, status);
  }
  numQueues(): number {
    return this.queueCount;
  }

  queueMaxSize(index: number): number {
    this.selectQueue(index);
    return this.regs.read32(MmioReg.QueueNumMax);
  }

  setupQueue(index: number, size: number, addresses: QueueAddresses): void {
    this.selectQueue(index);
    this.regs.write32(MmioReg.QueueNum, size);
    if (this.version === MMIO_VERSION_LEGACY) {
      if (addresses.desc % LEGACY_QUEUE_ALIGN !== 0) {
        throw new VirtioQueueError(this.device, "queue-address", `queue ${index}: ring not page aligned`);
      }
      this.regs.write32(MmioReg.GuestPageSize, LEGACY_QUEUE_ALIGN);
      this.regs.write32(MmioReg.QueueAlign, LEGACY_QUEUE_ALIGN);
      this.regs.write32(MmioReg.QueuePfn, addresses.desc / LEGACY_QUEUE_ALIGN);
      return;
    }
    this.writePair(MmioReg.QueueDescLow, addresses.desc);
    this.writePair(MmioReg.QueueDriverLow, addresses.driver);
    this.writePair(MmioReg.QueueDeviceLow, addresses.device);
    this.regs.write32(MmioReg.QueueReady, 1);
  }

  notify(index: number): void {
    this.regs.write32(MmioReg.QueueNotify, index);
  }

  /** Reads and acknowledges the interrupt status, like the PCI ISR read. */
  readIsr(): number {
    const status = this.regs.read32(MmioReg.InterruptStatus);
    if (status !== 0) this.regs.write32(MmioReg.InterruptAck, status);
    return status;
  }

  /** virtio-mmio has no MSI-X. */
  setConfigVector(): number {
    return NO_VECTOR;
  }
  setQueueVector(): number {
    return NO_VECTOR;
  }

  configGeneration(): number {
    return this.version === MMIO_VERSION_LEGACY ? 0 : this.regs.read32(MmioReg.ConfigGeneration);
  }

  readConfig8(offset: number): number {
    return this.regs.read8(MmioReg.Config + offset);
  }
  readConfig16(offset: number): number {
    return this.regs.read16(MmioReg.Config + offset);
  }
  readConfig32(offset: number): number {
    return this.regs.read32(MmioReg.Config + offset);
  }
  writeConfig8(offset: number, value: number): void {
    this.regs.write8(MmioReg.Config + offset, value);
  }
  writeConfig16(offset: number, value: number): void {
    this.regs.write16(MmioReg.Config + offset, value);
  }
  writeConfig32(offset: number, value: number): void {
    this.regs.write32(MmioReg.Config + offset, value);
  }

  private selectQueue(index: number): void {
    if (!(index >= 0 && index < MMIO_MAX_QUEUES)) {
      throw new VirtioQueueError(this.device, "queue-index", `queue ${index} out of range`);
    }
    this.regs.write32(MmioReg.QueueSel, index);
  }

  private writePair(lowOffset: number, address: number): void {
    const [low, high] = splitAddress(address);
    this.regs.write32(lowOffset, low);
    this.regs.write32(lowOffset + 4, high);
  }

  private countQueues(): number {
    let count = 0;
    while (count < MMIO_MAX_QUEUES && this.queueMaxSize(count) !== 0) count++;
    return count;
  }
}
