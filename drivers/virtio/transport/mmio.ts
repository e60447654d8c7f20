import type { Platform } from "../../../kernel/platform";
import type { IoRegion } from "../../../kernel/pci/io-region";
import { ALIGN_DESC } from "../ring/split-format";
import { LEGACY_FEATURE_MASK } from "../features";
import { highHalf, lowHalf, readRegister, writeRegister, type Readable, type Writable } from "../register";
import { LEGACY_QUEUE_ALIGN } from "./legacy-registers";
import { ALL_FEATURE_BITS, readFeatureWords, writeFeatureWords } from "./feature-words";
import {
  MMIO_CONFIG_OFFSET,
  MMIO_MAGIC,
  MMIO_MAX_QUEUES,
  MMIO_NO_DEVICE,
  MMIO_QUEUE_READY,
  MMIO_REGISTERS,
  MMIO_VERSION_LEGACY,
  MMIO_VERSION_MODERN,
} from "./mmio-registers";
import { ISR_CONFIG, ISR_QUEUE, NO_VECTOR } from "../interrupts";
import { VirtioQueueError, VirtioTransportError } from "../errors";
import type { QueueAddresses, RingPlacement, Transport } from "./transport";
import { FIXED_GENERATION, TransportBase } from "./transport";

/** Hot paths (kick, interrupt): the entries' types fix the widths, so the accesses are written out, not dispatched. */
const QUEUE_NOTIFY: Writable<4> = MMIO_REGISTERS.QueueNotify;
const INTERRUPT_STATUS: Readable<4> = MMIO_REGISTERS.InterruptStatus;
const INTERRUPT_ACK: Writable<4> = MMIO_REGISTERS.InterruptACK;
/** The InterruptStatus bits the specification defines; a device's other bits are neither reported nor acknowledged. */
const INTERRUPT_BITS = ISR_QUEUE | ISR_CONFIG;

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
  private readonly config: IoRegion;

  constructor(
    platform: Platform,
    readonly name: string,
    private readonly regs: IoRegion,
  ) {
    super(platform);
    if (regs.length < MMIO_CONFIG_OFFSET) {
      throw new VirtioTransportError(name, "mmio-window", `${regs.length} bytes, the register block ${MMIO_CONFIG_OFFSET}`);
    }
    const magic = readRegister(regs, MMIO_REGISTERS.MagicValue);
    if (magic !== MMIO_MAGIC) throw new VirtioTransportError(name, "mmio-magic", `magic 0x${magic.toString(16)}`);
    this.version = readRegister(regs, MMIO_REGISTERS.Version);
    if (this.version !== MMIO_VERSION_LEGACY && this.version !== MMIO_VERSION_MODERN) {
      throw new VirtioTransportError(name, "mmio-version", `unsupported version ${this.version}`);
    }
    this.deviceType = readRegister(regs, MMIO_REGISTERS.DeviceID);
    // Device ID 0 is a transport with no device behind it (virtio 1.2 section 4.2.3.1.1).
    if (this.deviceType === MMIO_NO_DEVICE) throw new VirtioTransportError(name, "mmio-empty", "device ID 0: no device behind this transport");
    const legacy = this.version === MMIO_VERSION_LEGACY;
    this.featureMask = legacy ? LEGACY_FEATURE_MASK : ALL_FEATURE_BITS;
    this.hasFeaturesOk = !legacy;
    this.ringPlacement = legacy ? { contiguous: true, align: LEGACY_QUEUE_ALIGN } : { contiguous: false, align: ALIGN_DESC };
    this.config = regs.window(MMIO_CONFIG_OFFSET, regs.length - MMIO_CONFIG_OFFSET);
    this.queueCount = this.countQueues();
  }

  readDeviceFeatures(): bigint {
    return readFeatureWords(this.regs, MMIO_REGISTERS.DeviceFeaturesSel, MMIO_REGISTERS.DeviceFeatures) & this.featureMask;
  }

  writeDriverFeatures(features: bigint): void {
    writeFeatureWords(this.regs, MMIO_REGISTERS.DriverFeaturesSel, MMIO_REGISTERS.DriverFeatures, features);
  }

  getStatus(): number {
    return readRegister(this.regs, MMIO_REGISTERS.Status);
  }
  setStatus(status: number): void {
    writeRegister(this.regs, MMIO_REGISTERS.Status, status);
  }
  numQueues(): number {
    return this.queueCount;
  }

  queueMaxSize(index: number): number {
    this.selectQueue(index);
    return readRegister(this.regs, MMIO_REGISTERS.QueueNumMax);
  }

  setupQueue(index: number, size: number, addresses: QueueAddresses): void {
    this.selectQueue(index);
    writeRegister(this.regs, MMIO_REGISTERS.QueueNum, size);
    if (this.version === MMIO_VERSION_LEGACY) {
      // The driver picks the page size the PFN counts in; the legacy ring alignment is that page.
      if (addresses.descriptorArea % LEGACY_QUEUE_ALIGN !== 0) {
        throw new VirtioQueueError(this.name, "queue-address", `queue ${index}: ring not page aligned`);
      }
      writeRegister(this.regs, MMIO_REGISTERS.GuestPageSize, LEGACY_QUEUE_ALIGN);
      writeRegister(this.regs, MMIO_REGISTERS.QueueAlign, LEGACY_QUEUE_ALIGN);
      writeRegister(this.regs, MMIO_REGISTERS.QueuePFN, addresses.descriptorArea / LEGACY_QUEUE_ALIGN);
      return;
    }
    this.writeAddress(MMIO_REGISTERS.QueueDescLow, MMIO_REGISTERS.QueueDescHigh, addresses.descriptorArea);
    this.writeAddress(MMIO_REGISTERS.QueueDriverLow, MMIO_REGISTERS.QueueDriverHigh, addresses.driverArea);
    this.writeAddress(MMIO_REGISTERS.QueueDeviceLow, MMIO_REGISTERS.QueueDeviceHigh, addresses.deviceArea);
    writeRegister(this.regs, MMIO_REGISTERS.QueueReady, MMIO_QUEUE_READY);
  }

  notify(index: number): void {
    this.regs.write32(QUEUE_NOTIFY.offset, index);
  }

  /** Reads and acknowledges the interrupt status (its defined bits), like the PCI ISR read. */
  readIsr(): number {
    const status = this.regs.read32(INTERRUPT_STATUS.offset) & INTERRUPT_BITS;
    if (status !== 0) this.regs.write32(INTERRUPT_ACK.offset, status);
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
    return this.version === MMIO_VERSION_LEGACY ? FIXED_GENERATION : readRegister(this.regs, MMIO_REGISTERS.ConfigGeneration);
  }

  protected deviceConfig(): IoRegion {
    return this.config;
  }

  private selectQueue(index: number): void {
    if (!(index >= 0 && index < MMIO_MAX_QUEUES)) {
      throw new VirtioQueueError(this.name, "queue-index", `queue ${index} out of range`);
    }
    writeRegister(this.regs, MMIO_REGISTERS.QueueSel, index);
  }

  /** A 64-bit address as its Low register, then its High one. */
  private writeAddress(low: Writable<4>, high: Writable<4>, address: number): void {
    writeRegister(this.regs, low, lowHalf(address));
    writeRegister(this.regs, high, highHalf(address));
  }

  private countQueues(): number {
    let count = 0;
    while (count < MMIO_MAX_QUEUES && this.queueMaxSize(count) !== 0) count++;
    return count;
  }
}
