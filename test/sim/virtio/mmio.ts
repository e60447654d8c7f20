import { MMIO_MAGIC, MMIO_VERSION_LEGACY } from "../../../drivers/virtio/transport/mmio-registers";
import { splitRingLayout } from "../../../drivers/virtio/ring/split-layout";
import type { AccessWidth, RegisterBlock } from "../registers";
import type { VirtioDeviceModel } from "./device-model";
import { getHalf, isPowerOfTwo, setHalf } from "./registers";

/** virtio-mmio register offsets (virtio 1.2 section 4.2.2; legacy layout 4.2.4). */
const MmioReg = {
  Magic: 0x000,
  Version: 0x004,
  DeviceId: 0x008,
  VendorId: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  GuestPageSize: 0x028,
  QueueSel: 0x030,
  QueueNumMax: 0x034,
  QueueNum: 0x038,
  QueueAlign: 0x03c,
  QueuePfn: 0x040,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  InterruptStatus: 0x060,
  InterruptAck: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  ConfigGeneration: 0x0fc,
  Config: 0x100,
} as const;

const MMIO_VENDOR_QEMU = 0x554d_4551;
export const MMIO_WINDOW_SIZE = 0x200;

/** A virtio-mmio register block (version 1 or 2) over one model. */
export class MmioInterface implements RegisterBlock {
  private deviceFeatureSelect = 0;
  private driverFeatureSelect = 0;
  private queueSelect = 0;
  private guestPageSize = 0;
  private queueAlign = 0;

  constructor(
    private readonly model: VirtioDeviceModel,
    readonly version: number,
  ) {
    model.mode = version === MMIO_VERSION_LEGACY ? "legacy" : "modern";
  }

  private get legacy(): boolean {
    return this.version === MMIO_VERSION_LEGACY;
  }

  read(offset: number, width: AccessWidth): number {
    const model = this.model;
    if (offset >= MmioReg.Config) return model.readConfig(offset - MmioReg.Config, width);
    if (!this.registerAccess(offset, width)) return 0;
    const queue = model.queues[this.queueSelect];
    switch (offset) {
      case MmioReg.Magic:
        return MMIO_MAGIC;
      case MmioReg.Version:
        return this.version;
      case MmioReg.DeviceId:
        return model.deviceType;
      case MmioReg.VendorId:
        return MMIO_VENDOR_QEMU;
      case MmioReg.DeviceFeatures:
        return this.deviceFeatureSelect > 1 ? 0 : Number((model.deviceFeatures() >> BigInt(32 * this.deviceFeatureSelect)) & 0xffff_ffffn);
      case MmioReg.QueueNumMax:
        return model.queueMaxSize(this.queueSelect);
      case MmioReg.QueueReady:
        return queue?.enabled ? 1 : 0;
      case MmioReg.QueuePfn:
        return queue?.enabled ? queue.desc / this.guestPageSize : 0;
      case MmioReg.InterruptStatus:
        return model.isr;
      case MmioReg.Status:
        return model.readStatus();
      case MmioReg.ConfigGeneration:
        return model.generation;
      case MmioReg.QueueDescLow:
      case MmioReg.QueueDescHigh:
        return queue ? getHalf(queue.desc, offset === MmioReg.QueueDescHigh) : 0;
      default:
        model.report(`mmio: read of write-only or unknown register 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, width: AccessWidth, value: number): void {
    const model = this.model;
    if (offset >= MmioReg.Config) return model.writeConfig(offset - MmioReg.Config, width, value);
    if (!this.registerAccess(offset, width)) return;
    switch (offset) {
      case MmioReg.DeviceFeaturesSel:
        this.deviceFeatureSelect = value;
        return;
      case MmioReg.DriverFeaturesSel:
        this.driverFeatureSelect = value;
        return;
      case MmioReg.DriverFeatures: {
        if (this.driverFeatureSelect > 1) return;
        const shift = BigInt(32 * this.driverFeatureSelect);
        model.setDriverFeatures((model.driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(value >>> 0) << shift));
        return;
      }
      case MmioReg.GuestPageSize:
        this.guestPageSize = value;
        return;
      case MmioReg.QueueSel:
        this.queueSelect = value;
        return;
      case MmioReg.QueueNotify:
        return model.notify(value);
      case MmioReg.InterruptAck:
        model.isr &= ~value;
        return;
      case MmioReg.Status:
        return model.writeStatus(value);
    }
    this.writeQueue(offset, value);
  }

  private writeQueue(offset: number, value: number): void {
    const model = this.model;
    const index = this.queueSelect;
    const queue = model.queues[index];
    if (queue === undefined) return model.report(`mmio: queue register 0x${offset.toString(16)} for nonexistent queue ${index}`);
    if (!model.queueSetupAllowed(`mmio register 0x${offset.toString(16)}`)) return;
    switch (offset) {
      case MmioReg.QueueNum:
        if (!isPowerOfTwo(value) || value > model.queueMaxSize(index)) model.report(`queue ${index}: size ${value} invalid`);
        queue.size = value;
        return;
      case MmioReg.QueueAlign:
        this.queueAlign = value;
        return;
      case MmioReg.QueuePfn:
        return this.writePfn(value);
      case MmioReg.QueueReady:
        if (value === 1) queue.enable(model);
        else queue.enabled = false;
        return;
      case MmioReg.QueueDescLow:
      case MmioReg.QueueDescHigh:
        queue.desc = setHalf(queue.desc, offset === MmioReg.QueueDescHigh, value);
        return;
      case MmioReg.QueueDriverLow:
      case MmioReg.QueueDriverHigh:
        queue.driver = setHalf(queue.driver, offset === MmioReg.QueueDriverHigh, value);
        return;
      case MmioReg.QueueDeviceLow:
      case MmioReg.QueueDeviceHigh:
        queue.device = setHalf(queue.device, offset === MmioReg.QueueDeviceHigh, value);
        return;
      default:
        model.report(`mmio: write to read-only or unknown register 0x${offset.toString(16)}`);
    }
  }

  private writePfn(pfn: number): void {
    const model = this.model;
    const queue = model.queues[this.queueSelect];
    if (pfn === 0) return queue.reset();
    if (!isPowerOfTwo(this.guestPageSize) || !isPowerOfTwo(this.queueAlign)) {
      return model.report(`mmio v1: queue pfn before guest page size / queue align (${this.guestPageSize}, ${this.queueAlign})`);
    }
    const base = pfn * this.guestPageSize;
    const layout = splitRingLayout(queue.size, { contiguous: true, align: this.queueAlign });
    queue.desc = base + layout.desc;
    queue.driver = base + layout.avail;
    queue.device = base + layout.used;
    queue.enable(model);
  }

  /** Registers are 32-bit, and the v1/v2-only ones exist only in their version. */
  private registerAccess(offset: number, width: AccessWidth): boolean {
    if (width !== 4 || offset % 4 !== 0) {
      this.model.report(`mmio: ${width}-byte register access at 0x${offset.toString(16)}`);
      return false;
    }
    const v1Only = offset === MmioReg.GuestPageSize || offset === MmioReg.QueueAlign || offset === MmioReg.QueuePfn;
    const v2Only = offset === MmioReg.QueueReady || offset === MmioReg.ConfigGeneration || (offset >= MmioReg.QueueDescLow && offset <= MmioReg.QueueDeviceHigh);
    if ((this.legacy && v2Only) || (!this.legacy && v1Only)) {
      this.model.report(`mmio v${this.version}: register 0x${offset.toString(16)} does not exist in this version`);
      return false;
    }
    return true;
  }
}
