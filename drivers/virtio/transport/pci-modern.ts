import type { Platform } from "../../../kernel/platform";
import type { IoRegion } from "../../../kernel/pci/io-region";
import { ALIGN_DESC } from "../ring/split-format";
import { readRegister, writeRegister, writeRegister64, type Readable } from "../register";
import { COMMON_CFG, NOTIFY_WIDTH, PCI_ISR, QUEUE_ENABLED } from "./common-cfg";
import { ALL_FEATURE_BITS, readFeatureWords, writeFeatureWords } from "./feature-words";
import { VirtioConfigError, VirtioQueueError } from "../errors";
import type { NotifyKind, QueueAddresses, RingPlacement, Transport } from "./transport";
import { TransportBase } from "./transport";

export interface ModernRegions {
  readonly common: IoRegion;
  readonly notify: IoRegion;
  readonly notifyMultiplier: number;
  readonly isr: IoRegion;
  readonly deviceConfig?: IoRegion;
}

/** Hot path (INTx handler): the entry's type fixes the width, so the read is written out, not dispatched. */
const ISR_STATUS: Readable<1> = PCI_ISR.isr_status;
/** notifyOffsets entry of a queue not set up: outside every region, so a stray notify throws. */
const NOT_SET_UP = -1;

/** Virtio 1.x over PCI: registers in BAR windows located by vendor capabilities. */
export class ModernPciTransport extends TransportBase implements Transport {
  readonly kind = "modern";
  readonly notifyKind: NotifyKind;
  readonly featureMask = ALL_FEATURE_BITS;
  readonly hasFeaturesOk = true;
  readonly queueSizeFixed = false;
  readonly ringPlacement: RingPlacement = { contiguous: false, align: ALIGN_DESC };
  private readonly common: IoRegion;
  private readonly notifyOffsets: Int32Array;

  constructor(
    platform: Platform,
    readonly name: string,
    readonly deviceType: number,
    private readonly regions: ModernRegions,
  ) {
    super(platform);
    this.common = regions.common;
    this.notifyKind = regions.notify.space;
    this.notifyOffsets = new Int32Array(this.numQueues()).fill(NOT_SET_UP);
  }

  readDeviceFeatures(): bigint {
    return readFeatureWords(this.common, COMMON_CFG.device_feature_select, COMMON_CFG.device_feature);
  }

  writeDriverFeatures(features: bigint): void {
    writeFeatureWords(this.common, COMMON_CFG.driver_feature_select, COMMON_CFG.driver_feature, features);
  }

  getStatus(): number {
    return readRegister(this.common, COMMON_CFG.device_status);
  }
  setStatus(status: number): void {
    writeRegister(this.common, COMMON_CFG.device_status, status);
  }

  numQueues(): number {
    return readRegister(this.common, COMMON_CFG.num_queues);
  }

  queueMaxSize(index: number): number {
    this.selectQueue(index);
    return readRegister(this.common, COMMON_CFG.queue_size);
  }

  setupQueue(index: number, size: number, addresses: QueueAddresses): void {
    this.selectQueue(index);
    writeRegister(this.common, COMMON_CFG.queue_size, size);
    writeRegister64(this.common, COMMON_CFG.queue_desc, addresses.descriptorArea);
    writeRegister64(this.common, COMMON_CFG.queue_driver, addresses.driverArea);
    writeRegister64(this.common, COMMON_CFG.queue_device, addresses.deviceArea);
    const notifyOff = readRegister(this.common, COMMON_CFG.queue_notify_off);
    const offset = notifyOff * this.regions.notifyMultiplier;
    if (offset + NOTIFY_WIDTH > this.regions.notify.length) {
      throw new VirtioQueueError(
        this.name,
        "notify-offset",
        `queue ${index}: queue_notify_off ${notifyOff} * ${this.regions.notifyMultiplier} outside the ${this.regions.notify.length}-byte notify region`,
      );
    }
    this.notifyOffsets[index] = offset;
    writeRegister(this.common, COMMON_CFG.queue_enable, QUEUE_ENABLED);
  }

  /** The 16-bit queue index at the queue's own notify address (NOTIFY_WIDTH). */
  notify(index: number): void {
    this.regions.notify.write16(this.notifyOffsets[index], index);
  }

  readIsr(): number {
    return this.regions.isr.read8(ISR_STATUS.offset);
  }

  setConfigVector(vector: number): number {
    writeRegister(this.common, COMMON_CFG.config_msix_vector, vector);
    return readRegister(this.common, COMMON_CFG.config_msix_vector);
  }

  setQueueVector(index: number, vector: number): number {
    this.selectQueue(index);
    writeRegister(this.common, COMMON_CFG.queue_msix_vector, vector);
    return readRegister(this.common, COMMON_CFG.queue_msix_vector);
  }

  configGeneration(): number {
    return readRegister(this.common, COMMON_CFG.config_generation);
  }

  protected deviceConfig(): IoRegion {
    if (this.regions.deviceConfig === undefined) {
      throw new VirtioConfigError(this.name, "no-device-config", "device has no DEVICE_CFG capability");
    }
    return this.regions.deviceConfig;
  }

  private selectQueue(index: number): void {
    if (!(index >= 0 && index < this.notifyOffsets.length)) {
      throw new VirtioQueueError(this.name, "queue-index", `queue ${index} of ${this.notifyOffsets.length}`);
    }
    writeRegister(this.common, COMMON_CFG.queue_select, index);
  }
}
