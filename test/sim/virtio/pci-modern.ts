import type { AccessWidth, RegisterBlock } from "../registers";
import type { VirtioDeviceModel } from "./device-model";
import { getHalf, matchField, setHalf } from "./registers";
import { tableSize } from "./spec/field";
import { virtio_pci_common_cfg } from "./spec/pci-common-cfg";
import { VIRTIO_PCI_NOTIFY_WIDTH } from "./spec/pci-capability";

export const COMMON_CFG_SIZE = tableSize(virtio_pci_common_cfg);
const ISR_WIDTH = 1;

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
    read: (offset, width) => (this.check("isr", offset, width, ISR_WIDTH) ? this.model.readIsr() : 0),
    write: () => this.model.report("isr: write to read-only ISR"),
  };

  readonly device: RegisterBlock = {
    read: (offset, width) => this.model.readConfig(offset, width),
    write: (offset, width, value) => this.model.writeConfig(offset, width, value),
  };

  readonly notify: RegisterBlock = {
    read: () => {
      this.model.report("notify: read of the notify register");
      return 0;
    },
    write: (offset, width, value) => {
      if (width !== VIRTIO_PCI_NOTIFY_WIDTH) return this.model.report(`notify: ${width}-byte write`);
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

  private readCommon(offset: number, width: AccessWidth): number {
    const model = this.model;
    const access = matchField(model, "common cfg", virtio_pci_common_cfg, offset, width, false);
    if (access === undefined) return 0;
    const queue = model.queue(this.queueSelect);
    const upper = access.upper;
    switch (access.name as keyof typeof virtio_pci_common_cfg) {
      case "device_feature_select":
        return this.deviceFeatureSelect;
      case "device_feature":
        return this.deviceFeatureSelect > 1 ? 0 : Number((model.deviceFeatures() >> BigInt(32 * this.deviceFeatureSelect)) & 0xffff_ffffn);
      case "driver_feature_select":
        return this.driverFeatureSelect;
      case "driver_feature":
        return this.driverFeatureSelect > 1 ? 0 : Number((model.driverFeatures >> BigInt(32 * this.driverFeatureSelect)) & 0xffff_ffffn);
      case "config_msix_vector":
        return model.configMsixVector;
      case "num_queues":
        return model.queues.length;
      case "device_status":
        return model.readStatus();
      case "config_generation":
        return model.generation;
      case "queue_select":
        return this.queueSelect;
      case "queue_size":
        return queue === undefined ? 0 : queue.sizeWritten ? queue.size : model.queueMaxSize(this.queueSelect);
      case "queue_msix_vector":
        return queue?.msixVector ?? 0;
      case "queue_enable":
        return queue?.enabled ? 1 : 0;
      case "queue_notify_off":
        return queue === undefined ? 0 : this.notifyOffset(this.queueSelect);
      case "queue_desc":
        return queue ? getHalf(queue.desc, upper) : 0;
      case "queue_driver":
        return queue ? getHalf(queue.driver, upper) : 0;
      case "queue_device":
        return queue ? getHalf(queue.device, upper) : 0;
      case "queue_notify_data":
      case "queue_reset":
        return 0;
    }
  }

  private writeCommon(offset: number, width: AccessWidth, value: number): void {
    const model = this.model;
    const access = matchField(model, "common cfg", virtio_pci_common_cfg, offset, width, true);
    if (access === undefined) return;
    model.mode = "modern";
    const index = this.queueSelect;
    const queue = model.queue(index);
    const name = access.name as keyof typeof virtio_pci_common_cfg;
    switch (name) {
      case "device_feature_select":
        this.deviceFeatureSelect = value;
        return;
      case "driver_feature_select":
        this.driverFeatureSelect = value;
        return;
      case "driver_feature": {
        if (this.driverFeatureSelect > 1) return model.report(`driver_feature write with select ${this.driverFeatureSelect}`);
        const shift = BigInt(32 * this.driverFeatureSelect);
        model.setDriverFeatures((model.driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(value >>> 0) << shift));
        return;
      }
      case "config_msix_vector":
        model.configMsixVector = model.acceptVector(value);
        return;
      case "device_status":
        model.writeStatus(value);
        return;
      case "queue_select":
        this.queueSelect = value;
        return;
      case "queue_msix_vector":
        model.setQueueVector(this.queueSelect, value);
        return;
      case "queue_reset":
        return model.report("queue_reset written without VIRTIO_F_RING_RESET");
    }
    if (queue === undefined) return model.report(`${name} written for nonexistent queue ${index}`);
    if (!model.queueSetupAllowed(name)) return;
    if (queue.enabled) return model.report(`${name} written for enabled queue ${index}`);
    switch (name) {
      case "queue_size":
        model.checkQueueSize(index, value);
        queue.size = value;
        queue.sizeWritten = true;
        return;
      case "queue_enable":
        if (value !== 1) return model.report(`queue ${index}: queue_enable written with ${value}`);
        queue.enable(model);
        return;
      case "queue_desc":
        queue.desc = setHalf(queue.desc, access.upper, value);
        return;
      case "queue_driver":
        queue.driver = setHalf(queue.driver, access.upper, value);
        return;
      case "queue_device":
        queue.device = setHalf(queue.device, access.upper, value);
        return;
    }
  }
}
