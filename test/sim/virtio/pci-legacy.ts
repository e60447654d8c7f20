import { LEGACY_CONFIG_OFFSET, LEGACY_CONFIG_OFFSET_MSIX, LEGACY_QUEUE_ALIGN } from "../../../drivers/virtio/transport/legacy-registers";
import { splitRingLayout } from "../../../drivers/virtio/ring/split-layout";
import type { AccessWidth, RegisterBlock } from "../registers";
import type { VirtioDeviceModel } from "./device-model";
import { isPowerOfTwo, matchField } from "./registers";
import type { Field } from "./registers";

/** Legacy PCI header offsets in BAR0 (virtio 1.2 section 4.1.4.10). */
const LegacyReg = {
  HostFeatures: 0x00,
  GuestFeatures: 0x04,
  QueuePfn: 0x08,
  QueueSize: 0x0c,
  QueueSelect: 0x0e,
  QueueNotify: 0x10,
  Status: 0x12,
  Isr: 0x13,
  ConfigMsixVector: 0x14,
  QueueMsixVector: 0x16,
} as const;

const FIELDS: readonly Field[] = [
  { name: "host_features", offset: LegacyReg.HostFeatures, width: 4, readOnly: true },
  { name: "guest_features", offset: LegacyReg.GuestFeatures, width: 4 },
  { name: "queue_pfn", offset: LegacyReg.QueuePfn, width: 4 },
  { name: "queue_size", offset: LegacyReg.QueueSize, width: 2, readOnly: true },
  { name: "queue_select", offset: LegacyReg.QueueSelect, width: 2 },
  { name: "queue_notify", offset: LegacyReg.QueueNotify, width: 2 },
  { name: "status", offset: LegacyReg.Status, width: 1 },
  { name: "isr", offset: LegacyReg.Isr, width: 1, readOnly: true },
];
const MSIX_FIELDS: readonly Field[] = [
  ...FIELDS,
  { name: "config_msix_vector", offset: LegacyReg.ConfigMsixVector, width: 2 },
  { name: "queue_msix_vector", offset: LegacyReg.QueueMsixVector, width: 2 },
];

/** The legacy (virtio 0.9) register block in BAR0. */
export class LegacyInterface implements RegisterBlock {
  private queueSelect = 0;

  /** `msixEnabled` reports the function's MSI-X enable bit, which moves the device config. */
  constructor(
    private readonly model: VirtioDeviceModel,
    private readonly msixEnabled: () => boolean,
  ) {}

  read(offset: number, width: AccessWidth): number {
    const model = this.model;
    const configBase = this.configBase();
    if (offset >= configBase) return model.readConfig(offset - configBase, width);
    const field = matchField(model, "legacy", this.fields(), offset, width, false);
    const queue = model.queues[this.queueSelect];
    switch (field?.offset) {
      case LegacyReg.HostFeatures:
        model.mode = "legacy";
        return Number(model.deviceFeatures());
      case LegacyReg.GuestFeatures:
        return Number(model.driverFeatures & 0xffff_ffffn);
      case LegacyReg.QueuePfn:
        return queue?.enabled ? queue.desc / LEGACY_QUEUE_ALIGN : 0;
      case LegacyReg.QueueSize:
        return model.queueMaxSize(this.queueSelect);
      case LegacyReg.QueueSelect:
        return this.queueSelect;
      case LegacyReg.Status:
        return model.readStatus();
      case LegacyReg.Isr:
        return model.readIsr();
      case LegacyReg.ConfigMsixVector:
        return model.configMsixVector;
      case LegacyReg.QueueMsixVector:
        return queue?.msixVector ?? 0;
      default:
        return 0;
    }
  }

  write(offset: number, width: AccessWidth, value: number): void {
    const model = this.model;
    const configBase = this.configBase();
    if (offset >= configBase) return model.writeConfig(offset - configBase, width, value);
    const field = matchField(model, "legacy", this.fields(), offset, width, true);
    switch (field?.offset) {
      case LegacyReg.GuestFeatures:
        model.setDriverFeatures(BigInt(value >>> 0));
        return;
      case LegacyReg.QueuePfn:
        return this.writePfn(value);
      case LegacyReg.QueueSelect:
        this.queueSelect = value;
        return;
      case LegacyReg.QueueNotify:
        return model.notify(value);
      case LegacyReg.Status:
        model.mode = "legacy";
        return model.writeStatus(value);
      case LegacyReg.ConfigMsixVector:
        model.configMsixVector = model.acceptVector(value);
        return;
      case LegacyReg.QueueMsixVector:
        model.setQueueVector(this.queueSelect, value);
        return;
    }
  }

  private fields(): readonly Field[] {
    return this.msixEnabled() ? MSIX_FIELDS : FIELDS;
  }

  private configBase(): number {
    return this.msixEnabled() ? LEGACY_CONFIG_OFFSET_MSIX : LEGACY_CONFIG_OFFSET;
  }

  private writePfn(pfn: number): void {
    const model = this.model;
    const index = this.queueSelect;
    const queue = model.queues[index];
    if (queue === undefined) return model.report(`queue_pfn written for nonexistent queue ${index}`);
    if (!model.queueSetupAllowed("queue_pfn")) return;
    if (pfn === 0) return queue.reset();
    const size = model.queueMaxSize(index);
    if (!isPowerOfTwo(size)) return model.report(`queue ${index}: set up despite invalid size ${size}`);
    const layout = splitRingLayout(size, { contiguous: true, align: LEGACY_QUEUE_ALIGN });
    const base = pfn * LEGACY_QUEUE_ALIGN;
    queue.size = size;
    queue.desc = base + layout.desc;
    queue.driver = base + layout.avail;
    queue.device = base + layout.used;
    queue.enable(model);
  }
}
