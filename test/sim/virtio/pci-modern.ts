import type { AccessWidth, RegisterBlock } from "../registers";
import type { VirtioDeviceModel } from "./device-model";
import { getHalf, isPowerOfTwo, matchField, setHalf } from "./registers";
import type { Field } from "./registers";

/** Common configuration offsets (virtio 1.2 section 4.1.4.3). */
const CommonCfg = {
  DeviceFeatureSelect: 0x00,
  DeviceFeature: 0x04,
  DriverFeatureSelect: 0x08,
  DriverFeature: 0x0c,
  ConfigMsixVector: 0x10,
  NumQueues: 0x12,
  DeviceStatus: 0x14,
  ConfigGeneration: 0x15,
  QueueSelect: 0x16,
  QueueSize: 0x18,
  QueueMsixVector: 0x1a,
  QueueEnable: 0x1c,
  QueueNotifyOff: 0x1e,
  QueueDesc: 0x20,
  QueueDriver: 0x28,
  QueueDevice: 0x30,
} as const;

const COMMON_FIELDS: readonly Field[] = [
  { name: "device_feature_select", offset: CommonCfg.DeviceFeatureSelect, width: 4 },
  { name: "device_feature", offset: CommonCfg.DeviceFeature, width: 4, readOnly: true },
  { name: "driver_feature_select", offset: CommonCfg.DriverFeatureSelect, width: 4 },
  { name: "driver_feature", offset: CommonCfg.DriverFeature, width: 4 },
  { name: "config_msix_vector", offset: CommonCfg.ConfigMsixVector, width: 2 },
  { name: "num_queues", offset: CommonCfg.NumQueues, width: 2, readOnly: true },
  { name: "device_status", offset: CommonCfg.DeviceStatus, width: 1 },
  { name: "config_generation", offset: CommonCfg.ConfigGeneration, width: 1, readOnly: true },
  { name: "queue_select", offset: CommonCfg.QueueSelect, width: 2 },
  { name: "queue_size", offset: CommonCfg.QueueSize, width: 2 },
  { name: "queue_msix_vector", offset: CommonCfg.QueueMsixVector, width: 2 },
  { name: "queue_enable", offset: CommonCfg.QueueEnable, width: 2 },
  { name: "queue_notify_off", offset: CommonCfg.QueueNotifyOff, width: 2, readOnly: true },
  { name: "queue_desc", offset: CommonCfg.QueueDesc, width: 8 },
  { name: "queue_driver", offset: CommonCfg.QueueDriver, width: 8 },
  { name: "queue_device", offset: CommonCfg.QueueDevice, width: 8 },
  { name: "queue_notify_data", offset: 0x38, width: 2, readOnly: true },
  { name: "queue_reset", offset: 0x3a, width: 2 },
];
export const COMMON_CFG_SIZE = 0x3c;

/** The modern interface's register windows over one model. */
export class ModernInterface {
  private deviceFeatureSelect = 0;
  private driverFeatureSelect = 0;
  private queueSelect = 0;

  constructor(
    private readonly model: VirtioDeviceModel,
    private readonly notifyMultiplier: number,
  ) {}

  notifyOffset(queue: number): number {
    return this.model.faults.notifyOffset ?? queue;
  }

  readonly common: RegisterBlock = {
    read: (offset, width) => this.readCommon(offset, width),
    write: (offset, width, value) => this.writeCommon(offset, width, value),
  };

  readonly isr: RegisterBlock = {
    read: (offset, width) => (this.check("isr", offset, width, 1) ? this.model.readIsr() : 0),
    write: () => this.model.report("isr: write to read-only ISR"),
  };

  readonly device: RegisterBlock = {
    read: (offset, width) => (this.configWidthOk(width) ? this.model.readConfig(offset, width) : 0),
    write: (offset, width, value) => {
      if (this.configWidthOk(width)) this.model.writeConfig(offset, width, value);
    },
  };

  readonly notify: RegisterBlock = {
    read: () => {
      this.model.report("notify: read of the notify register");
      return 0;
    },
    write: (offset, width, value) => {
      if (width !== 2) return this.model.report(`notify: ${width}-byte write`);
      const expected = this.notifyMultiplier === 0 ? 0 : this.notifyOffset(value) * this.notifyMultiplier;
      if (offset !== expected) return this.model.report(`notify: queue ${value} written at 0x${offset.toString(16)}, expected 0x${expected.toString(16)}`);
      this.model.notify(value);
    },
  };

  private check(where: string, offset: number, width: AccessWidth, expected: AccessWidth): boolean {
    if (offset === 0 && width === expected) return true;
    this.model.report(`${where}: ${width}-byte access at ${offset}`);
    return false;
  }

  private configWidthOk(width: AccessWidth): boolean {
    if (width !== 8) return true;
    this.model.report("device config: 64-bit access (must be two 32-bit accesses)");
    return false;
  }

  private readCommon(offset: number, width: AccessWidth): number {
    const model = this.model;
    const field = matchField(model, "common cfg", COMMON_FIELDS, offset, width, false);
    if (field === undefined) return 0;
    const queue = model.queues[this.queueSelect];
    const upper = offset - field.offset === 4;
    switch (field.offset) {
      case CommonCfg.DeviceFeatureSelect:
        return this.deviceFeatureSelect;
      case CommonCfg.DeviceFeature:
        return this.deviceFeatureSelect > 1 ? 0 : Number((model.deviceFeatures() >> BigInt(32 * this.deviceFeatureSelect)) & 0xffff_ffffn);
      case CommonCfg.DriverFeatureSelect:
        return this.driverFeatureSelect;
      case CommonCfg.DriverFeature:
        return this.driverFeatureSelect > 1 ? 0 : Number((model.driverFeatures >> BigInt(32 * this.driverFeatureSelect)) & 0xffff_ffffn);
      case CommonCfg.ConfigMsixVector:
        return model.configMsixVector;
      case CommonCfg.NumQueues:
        return model.queues.length;
      case CommonCfg.DeviceStatus:
        return model.readStatus();
      case CommonCfg.ConfigGeneration:
        return model.generation;
      case CommonCfg.QueueSelect:
        return this.queueSelect;
      case CommonCfg.QueueSize:
        return queue === undefined ? 0 : queue.sizeWritten ? queue.size : model.queueMaxSize(this.queueSelect);
      case CommonCfg.QueueMsixVector:
        return queue?.msixVector ?? 0;
      case CommonCfg.QueueEnable:
        return queue?.enabled ? 1 : 0;
      case CommonCfg.QueueNotifyOff:
        return queue === undefined ? 0 : this.notifyOffset(this.queueSelect);
      case CommonCfg.QueueDesc:
        return queue ? getHalf(queue.desc, upper) : 0;
      case CommonCfg.QueueDriver:
        return queue ? getHalf(queue.driver, upper) : 0;
      case CommonCfg.QueueDevice:
        return queue ? getHalf(queue.device, upper) : 0;
      default:
        return 0;
    }
  }

  private writeCommon(offset: number, width: AccessWidth, value: number): void {
    const model = this.model;
    const field = matchField(model, "common cfg", COMMON_FIELDS, offset, width, true);
    if (field === undefined) return;
    model.mode = "modern";
    const index = this.queueSelect;
    const queue = model.queues[index];
    const upper = offset - field.offset === 4;
    switch (field.offset) {
      case CommonCfg.DeviceFeatureSelect:
        this.deviceFeatureSelect = value;
        return;
      case CommonCfg.DriverFeatureSelect:
        this.driverFeatureSelect = value;
        return;
      case CommonCfg.DriverFeature: {
        if (this.driverFeatureSelect > 1) return model.report(`driver_feature write with select ${this.driverFeatureSelect}`);
        const shift = BigInt(32 * this.driverFeatureSelect);
        model.setDriverFeatures((model.driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(value >>> 0) << shift));
        return;
      }
      case CommonCfg.ConfigMsixVector:
        model.configMsixVector = model.acceptVector(value);
        return;
      case CommonCfg.DeviceStatus:
        model.writeStatus(value);
        return;
      case CommonCfg.QueueSelect:
        this.queueSelect = value;
        return;
      case CommonCfg.QueueMsixVector:
        model.setQueueVector(this.queueSelect, value);
        return;
    }
    if (queue === undefined) return model.report(`${field.name} written for nonexistent queue ${index}`);
    if (!model.queueSetupAllowed(field.name)) return;
    if (queue.enabled) return model.report(`${field.name} written for enabled queue ${index}`);
    switch (field.offset) {
      case CommonCfg.QueueSize:
        if (!isPowerOfTwo(value) || value > model.queueMaxSize(index)) model.report(`queue ${index}: size ${value} invalid`);
        queue.size = value;
        queue.sizeWritten = true;
        return;
      case CommonCfg.QueueEnable:
        if (value !== 1) return model.report(`queue ${index}: queue_enable written with ${value}`);
        queue.enable(model);
        return;
      case CommonCfg.QueueDesc:
        queue.desc = setHalf(queue.desc, upper, value);
        return;
      case CommonCfg.QueueDriver:
        queue.driver = setHalf(queue.driver, upper, value);
        return;
      case CommonCfg.QueueDevice:
        queue.device = setHalf(queue.device, upper, value);
        return;
    }
  }
}
