import type { AccessWidth, RegisterBlock } from "../registers";
import type { VirtioDeviceModel } from "./device-model";
import { isPowerOfTwo, matchField } from "./registers";
import type { SpecTable } from "./spec/field";
import {
  VIRTIO_PCI_LEGACY_CONFIG_OFFSET,
  VIRTIO_PCI_LEGACY_CONFIG_OFFSET_MSIX,
  VIRTIO_PCI_LEGACY_QUEUE_ALIGN,
  virtio_pci_legacy_header,
  virtio_pci_legacy_msix,
} from "./spec/pci-legacy";
import { legacyRingLayout } from "./spec/split-ring";

const HEADER: SpecTable = virtio_pci_legacy_header;
const HEADER_MSIX: SpecTable = { ...virtio_pci_legacy_header, ...virtio_pci_legacy_msix };
type LegacyField = keyof typeof virtio_pci_legacy_header | keyof typeof virtio_pci_legacy_msix;

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
    const access = matchField(model, "legacy", this.fields(), offset, width, false);
    if (access === undefined) return 0;
    const queue = model.queues[this.queueSelect];
    switch (access.name as LegacyField) {
      case "device_feature":
        model.mode = "legacy";
        return Number(model.deviceFeatures());
      case "driver_feature":
        return Number(model.driverFeatures & 0xffff_ffffn);
      case "queue_address":
        return queue?.enabled ? queue.desc / VIRTIO_PCI_LEGACY_QUEUE_ALIGN : 0;
      case "queue_size":
        return model.queueMaxSize(this.queueSelect);
      case "queue_select":
        return this.queueSelect;
      case "queue_notify":
        return 0;
      case "device_status":
        return model.readStatus();
      case "isr_status":
        return model.readIsr();
      case "config_msix_vector":
        return model.configMsixVector;
      case "queue_msix_vector":
        return queue?.msixVector ?? 0;
    }
  }

  write(offset: number, width: AccessWidth, value: number): void {
    const model = this.model;
    const configBase = this.configBase();
    if (offset >= configBase) return model.writeConfig(offset - configBase, width, value);
    const access = matchField(model, "legacy", this.fields(), offset, width, true);
    switch (access?.name as LegacyField | undefined) {
      case "driver_feature":
        model.setDriverFeatures(BigInt(value >>> 0));
        return;
      case "queue_address":
        return this.writeQueueAddress(value);
      case "queue_select":
        this.queueSelect = value;
        return;
      case "queue_notify":
        return model.notify(value);
      case "device_status":
        model.mode = "legacy";
        return model.writeStatus(value);
      case "config_msix_vector":
        model.configMsixVector = model.acceptVector(value);
        return;
      case "queue_msix_vector":
        model.setQueueVector(this.queueSelect, value);
        return;
    }
  }

  private fields(): SpecTable {
    return this.msixEnabled() ? HEADER_MSIX : HEADER;
  }

  private configBase(): number {
    return this.msixEnabled() ? VIRTIO_PCI_LEGACY_CONFIG_OFFSET_MSIX : VIRTIO_PCI_LEGACY_CONFIG_OFFSET;
  }

  /** Queue Address: the page number of one contiguous area laid out as the legacy ring. */
  private writeQueueAddress(pfn: number): void {
    const model = this.model;
    const index = this.queueSelect;
    const queue = model.queues[index];
    if (queue === undefined) return model.report(`queue_address written for nonexistent queue ${index}`);
    if (!model.queueSetupAllowed("queue_address")) return;
    if (pfn === 0) return queue.reset();
    const size = model.queueMaxSize(index);
    if (!isPowerOfTwo(size)) return model.report(`queue ${index}: set up despite invalid size ${size}`);
    const layout = legacyRingLayout(size, VIRTIO_PCI_LEGACY_QUEUE_ALIGN);
    const base = pfn * VIRTIO_PCI_LEGACY_QUEUE_ALIGN;
    queue.size = size;
    queue.desc = base + layout.descriptorTable;
    queue.driver = base + layout.availableRing;
    queue.device = base + layout.usedRing;
    queue.enable(model, layout.usedEnd);
  }
}
