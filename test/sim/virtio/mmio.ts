import type { AccessWidth, RegisterBlock } from "../registers";
import type { VirtioDeviceModel } from "./device-model";
import { isPowerOfTwo, matchField, setHalf } from "./registers";
import type { SpecTable } from "./spec/field";
import {
  VIRTIO_MMIO_CONFIG_OFFSET,
  VIRTIO_MMIO_INT,
  VIRTIO_MMIO_MAGIC_VALUE,
  VIRTIO_MMIO_VERSION,
  virtio_mmio_legacy_registers,
  virtio_mmio_registers,
} from "./spec/mmio";
import { legacyRingLayout } from "./spec/split-ring";

const MMIO_VENDOR_QEMU = 0x554d_4551;
export const MMIO_WINDOW_SIZE = 0x200;

type MmioRegister = keyof typeof virtio_mmio_registers | keyof typeof virtio_mmio_legacy_registers;
/** Queue registers the driver must not touch while QueueReady is set (section 4.2.2.2). */
const LOCKED_WHILE_READY: ReadonlySet<MmioRegister> = new Set<MmioRegister>([
  "QueueNum",
  "QueueDescLow",
  "QueueDescHigh",
  "QueueDriverLow",
  "QueueDriverHigh",
  "QueueDeviceLow",
  "QueueDeviceHigh",
]);
const INTERRUPT_BITS = VIRTIO_MMIO_INT.VRING | VIRTIO_MMIO_INT.CONFIG;

/** A virtio-mmio register block (version 1 = legacy layout, or 2) over one model. */
export class MmioInterface implements RegisterBlock {
  private deviceFeatureSelect: number | undefined;
  private driverFeatureSelect: number | undefined;
  private queueSelect = 0;
  private guestPageSize = 0;
  private queueAlign = 0;

  constructor(
    private readonly model: VirtioDeviceModel,
    readonly version: number,
  ) {
    model.mode = version === VIRTIO_MMIO_VERSION.legacy ? "legacy" : "modern";
  }

  private get registers(): SpecTable {
    return this.version === VIRTIO_MMIO_VERSION.legacy ? virtio_mmio_legacy_registers : virtio_mmio_registers;
  }

  read(offset: number, width: AccessWidth): number {
    const model = this.model;
    if (offset >= VIRTIO_MMIO_CONFIG_OFFSET) return model.readConfig(offset - VIRTIO_MMIO_CONFIG_OFFSET, width);
    const access = this.access(offset, width, false);
    if (access === undefined) return 0;
    const queue = model.queue(this.queueSelect);
    switch (access) {
      case "MagicValue":
        return VIRTIO_MMIO_MAGIC_VALUE;
      case "Version":
        return this.version;
      case "DeviceID":
        return model.deviceType;
      case "VendorID":
        return MMIO_VENDOR_QEMU;
      case "DeviceFeatures":
      case "HostFeatures": {
        const select = this.deviceFeatureSelect;
        if (select === undefined) model.report(`mmio: ${access} read before ${access}Sel was written`);
        return select === undefined || select > 1 ? 0 : Number((model.deviceFeatures() >> BigInt(32 * select)) & 0xffff_ffffn);
      }
      case "QueueNumMax":
        return model.queueMaxSize(this.queueSelect);
      case "QueueReady":
        return queue?.enabled ? 1 : 0;
      case "QueuePFN":
        return queue?.enabled ? queue.desc / this.guestPageSize : 0;
      case "InterruptStatus":
        return model.isr;
      case "Status":
        return model.readStatus();
      case "ConfigGeneration":
        return model.generation;
      default:
        return 0;
    }
  }

  write(offset: number, width: AccessWidth, value: number): void {
    const model = this.model;
    if (offset >= VIRTIO_MMIO_CONFIG_OFFSET) return model.writeConfig(offset - VIRTIO_MMIO_CONFIG_OFFSET, width, value);
    const access = this.access(offset, width, true);
    if (access === undefined) return;
    switch (access) {
      case "DeviceFeaturesSel":
      case "HostFeaturesSel":
        this.deviceFeatureSelect = value;
        return;
      case "DriverFeaturesSel":
      case "GuestFeaturesSel":
        this.driverFeatureSelect = value;
        return;
      case "DriverFeatures":
      case "GuestFeatures": {
        const select = this.driverFeatureSelect;
        if (select === undefined) return model.report(`mmio: ${access} written before ${access}Sel`);
        if (select > 1) return;
        const shift = BigInt(32 * select);
        model.setDriverFeatures((model.driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(value >>> 0) << shift));
        return;
      }
      case "GuestPageSize":
        this.guestPageSize = value;
        return;
      case "QueueSel":
        this.queueSelect = value;
        return;
      case "QueueNotify":
        return model.notify(value);
      case "InterruptACK":
        if (value & ~INTERRUPT_BITS) model.report(`mmio: InterruptACK 0x${value.toString(16)} sets undefined bits`);
        model.isr &= ~value;
        return;
      case "Status":
        return model.writeStatus(value);
      case "SHMSel":
        return model.report("mmio: SHMSel written for a device without shared memory");
      case "QueueReset":
        return model.report("mmio: QueueReset written without VIRTIO_F_RING_RESET");
      default:
        this.writeQueue(access, value);
    }
  }

  /** The register an access names; reports (and undefined) accesses the layout does not allow. */
  private access(offset: number, width: AccessWidth, write: boolean): MmioRegister | undefined {
    return matchField(this.model, `mmio v${this.version}`, this.registers, offset, width, write)?.name as MmioRegister | undefined;
  }

  private writeQueue(register: MmioRegister, value: number): void {
    const model = this.model;
    const index = this.queueSelect;
    const queue = model.queue(index);
    if (queue === undefined) return model.report(`mmio: ${register} for nonexistent queue ${index}`);
    if (!model.queueSetupAllowed(register)) return;
    if (queue.enabled && LOCKED_WHILE_READY.has(register)) return model.report(`mmio: ${register} written while queue ${index} is ready`);
    switch (register) {
      case "QueueNum":
        model.checkQueueSize(index, value);
        queue.size = value;
        queue.sizeWritten = true;
        return;
      case "QueueAlign":
        this.queueAlign = value;
        return;
      case "QueuePFN":
        return this.writePfn(value);
      case "QueueReady":
        if (value !== 1) queue.enabled = false;
        else if (this.sizeKnown(index)) queue.enable(model);
        return;
      case "QueueDescLow":
      case "QueueDescHigh":
        queue.desc = setHalf(queue.desc, register === "QueueDescHigh", value);
        return;
      case "QueueDriverLow":
      case "QueueDriverHigh":
        queue.driver = setHalf(queue.driver, register === "QueueDriverHigh", value);
        return;
      case "QueueDeviceLow":
      case "QueueDeviceHigh":
        queue.device = setHalf(queue.device, register === "QueueDeviceHigh", value);
        return;
    }
  }

  /** QueueNum has no reset value the driver could rely on: it must write the size first (4.2.3.2). */
  private sizeKnown(index: number): boolean {
    if (this.model.queue(index)?.sizeWritten) return true;
    this.model.report(`mmio: queue ${index} enabled before QueueNum was written`);
    return false;
  }

  /** Legacy: the queue's page number; the ring is the legacy (split) layout with QueueAlign. */
  private writePfn(pfn: number): void {
    const model = this.model;
    const queue = model.queues[this.queueSelect];
    if (pfn === 0) return queue.reset();
    if (!isPowerOfTwo(this.guestPageSize) || !isPowerOfTwo(this.queueAlign)) {
      return model.report(`mmio v1: QueuePFN before GuestPageSize / QueueAlign (${this.guestPageSize}, ${this.queueAlign})`);
    }
    if (!this.sizeKnown(this.queueSelect)) return;
    const base = pfn * this.guestPageSize;
    const layout = legacyRingLayout(queue.size, this.queueAlign);
    queue.desc = base + layout.descriptorTable;
    queue.driver = base + layout.availableRing;
    queue.device = base + layout.usedRing;
    queue.enable(model, layout.usedEnd);
  }
}
