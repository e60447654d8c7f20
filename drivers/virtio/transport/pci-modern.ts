import type { Platform } from "../../../kernel/platform";
import type { IoRegion } from "../../../kernel/pci/io-region";
import { ALIGN_DESC } from "../ring/split-format";
import { CommonCfg, NOTIFY_WIDTH } from "./common-cfg";
import { VirtioConfigError, VirtioQueueError } from "../errors";
import type { NotifyKind, QueueAddresses, RingPlacement, Transport } from "./transport";
import { TransportBase, splitAddress } from "./transport";

export interface ModernRegions {
  readonly common: IoRegion;
  readonly notify: IoRegion;
  readonly notifyMultiplier: number;
  readonly isr: IoRegion;
  readonly device?: IoRegion;
}

/** Virtio 1.x over PCI: registers in BAR windows located by vendor capabilities. */
export class ModernPciTransport extends TransportBase implements Transport {
  readonly kind = "modern";
  readonly notifyKind: NotifyKind;
  readonly featureMask = 0xffff_ffff_ffff_ffffn;
  readonly hasFeaturesOk = true;
  readonly queueSizeFixed = false;
  readonly ringPlacement: RingPlacement = { contiguous: false, align: ALIGN_DESC };
  private readonly common: IoRegion;
  private readonly notifyOffsets: Int32Array;

  constructor(
    platform: Platform,
    readonly device: string,
    readonly deviceType: number,
    private readonly regions: ModernRegions,
  ) {
    super(platform);
    this.common = regions.common;
    this.notifyKind = regions.notify.space;
    this.notifyOffsets = new Int32Array(this.numQueues()).fill(-1);
  }

  readDeviceFeatures(): bigint {
    this.common.write32(CommonCfg.DeviceFeatureSelect, 0);
    const low = this.common.read32(CommonCfg.DeviceFeature);
    this.common.write32(CommonCfg.DeviceFeatureSelect, 1);
    const high = this.common.read32(CommonCfg.DeviceFeature);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  writeDriverFeatures(features: bigint): void {
    this.common.write32(CommonCfg.DriverFeatureSelect, 0);
    this.common.write32(CommonCfg.DriverFeature, Number(features & 0xffff_ffffn));
    this.common.write32(CommonCfg.DriverFeatureSelect, 1);
    this.common.write32(CommonCfg.DriverFeature, Number((features >> 32n) & 0xffff_ffffn));
  }

  getStatus(): number {
    return this.common.read8(CommonCfg.DeviceStatus);
  }
  setStatus(status: number): void {
    this.common.write8(CommonCfg.DeviceStatus, status);
  }

  numQueues(): number {
    return this.common.read16(CommonCfg.NumQueues);
  }

  queueMaxSize(index: number): number {
    this.selectQueue(index);
    return this.common.read16(CommonCfg.QueueSize);
  }

  setupQueue(index: number, size: number, addresses: QueueAddresses): void {
    this.selectQueue(index);
    this.common.write16(CommonCfg.QueueSize, size);
    this.writeAddress(CommonCfg.QueueDesc, addresses.desc);
    this.writeAddress(CommonCfg.QueueDriver, addresses.driver);
    this.writeAddress(CommonCfg.QueueDevice, addresses.device);
    const notifyOff = this.common.read16(CommonCfg.QueueNotifyOff);
    const offset = notifyOff * this.regions.notifyMultiplier;
    if (offset + NOTIFY_WIDTH > this.regions.notify.length) {
      throw new VirtioQueueError(
        this.device,
        "notify-offset",
        `queue ${index}: queue_notify_off ${notifyOff} * ${this.regions.notifyMultiplier} outside the ${this.regions.notify.length}-byte notify region`,
      );
    }
    this.notifyOffsets[index] = offset;
    this.common.write16(CommonCfg.QueueEnable, 1);
  }

  notify(index: number): void {
    this.regions.notify.write16(this.notifyOffsets[index], index);
  }

  readIsr(): number {
    return this.regions.isr.read8(0);
  }

  setConfigVector(vector: number): number {
    this.common.write16(CommonCfg.ConfigMsixVector, vector);
    return this.common.read16(CommonCfg.ConfigMsixVector);
  }

  setQueueVector(index: number, vector: number): number {
    this.selectQueue(index);
    this.common.write16(CommonCfg.QueueMsixVector, vector);
    return this.common.read16(CommonCfg.QueueMsixVector);
  }

  configGeneration(): number {
    return this.common.read8(CommonCfg.ConfigGeneration);
  }

  readConfig8(offset: number): number {
    return this.deviceConfig().read8(offset);
  }
  readConfig16(offset: number): number {
    return this.deviceConfig().read16(offset);
  }
  readConfig32(offset: number): number {
    return this.deviceConfig().read32(offset);
  }
  writeConfig8(offset: number, value: number): void {
    this.deviceConfig().write8(offset, value);
  }
  writeConfig16(offset: number, value: number): void {
    this.deviceConfig().write16(offset, value);
  }
  writeConfig32(offset: number, value: number): void {
    this.deviceConfig().write32(offset, value);
  }

  private deviceConfig(): IoRegion {
    if (this.regions.device === undefined) {
      throw new VirtioConfigError(this.device, "no-device-config", "device has no DEVICE_CFG capability");
    }
    return this.regions.device;
  }

  private selectQueue(index: number): void {
    if (!(index >= 0 && index < this.notifyOffsets.length)) {
      throw new VirtioQueueError(this.device, "queue-index", `queue ${index} of ${this.notifyOffsets.length}`);
    }
    this.common.write16(CommonCfg.QueueSelect, index);
  }

  private writeAddress(offset: number, address: number): void {
    const [low, high] = splitAddress(address);
    this.common.write32(offset, low);
    this.common.write32(offset + 4, high);
  }
}
