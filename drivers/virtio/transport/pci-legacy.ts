import type { Platform } from "../../../kernel/platform";
import type { IoRegion } from "../../../kernel/pci/io-region";
import {
  LEGACY_CONFIG_OFFSET,
  LEGACY_CONFIG_OFFSET_MSIX,
  LEGACY_HEADER,
  LEGACY_MAX_QUEUES,
  LEGACY_PFN_SHIFT,
  LEGACY_QUEUE_ALIGN,
} from "./legacy-registers";
import { LEGACY_FEATURE_MASK } from "../features";
import { NO_VECTOR } from "../interrupts";
import { blockLength, readRegister, writeRegister, type Readable, type Writable } from "../register";
import { VirtioQueueError, VirtioTransportError } from "../errors";
import type { NotifyKind, QueueAddresses, RingPlacement, Transport } from "./transport";
import { FIXED_GENERATION, TransportBase } from "./transport";

const BITS_PER_BYTE = 8;
/** Page frames queue_address cannot hold. */
const PFN_LIMIT = 2 ** (LEGACY_HEADER.queue_address.width * BITS_PER_BYTE);
/** Bytes of BAR0 the header needs, MSI-X vectors included. */
export const LEGACY_HEADER_LENGTH = blockLength(LEGACY_HEADER);

/** Hot paths (kick, INTx handler): the entries' types fix the widths, so the accesses are written out, not dispatched. */
const QUEUE_NOTIFY: Writable<2> = LEGACY_HEADER.queue_notify;
const ISR_STATUS: Readable<1> = LEGACY_HEADER.isr_status;

/** Virtio 0.9 ("legacy") over PCI BAR0: fixed register block, 32 feature bits, queue PFNs. */
export class LegacyPciTransport extends TransportBase implements Transport {
  readonly kind = "legacy";
  readonly notifyKind: NotifyKind;
  readonly featureMask = LEGACY_FEATURE_MASK;
  readonly hasFeaturesOk = false;
  readonly queueSizeFixed = true;
  readonly ringPlacement: RingPlacement = { contiguous: true, align: LEGACY_QUEUE_ALIGN };
  private readonly queueCount: number;
  /** The device configuration where it sits without MSI-X, and with it. */
  private readonly config: IoRegion;
  private readonly configMsix: IoRegion;

  /** `msixEnabled` is asked on each config access: enabling MSI-X moves the device config. */
  constructor(
    platform: Platform,
    readonly name: string,
    readonly deviceType: number,
    private readonly regs: IoRegion,
    private readonly msixEnabled: () => boolean,
  ) {
    super(platform);
    if (regs.length < LEGACY_HEADER_LENGTH) {
      throw new VirtioTransportError(name, "legacy-bar", `BAR0 has ${regs.length} bytes, the legacy header ${LEGACY_HEADER_LENGTH}`);
    }
    this.notifyKind = regs.space;
    this.config = regs.window(LEGACY_CONFIG_OFFSET, regs.length - LEGACY_CONFIG_OFFSET);
    this.configMsix = regs.window(LEGACY_CONFIG_OFFSET_MSIX, regs.length - LEGACY_CONFIG_OFFSET_MSIX);
    this.queueCount = this.countQueues();
  }

  readDeviceFeatures(): bigint {
    return BigInt(readRegister(this.regs, LEGACY_HEADER.device_feature));
  }
  writeDriverFeatures(features: bigint): void {
    writeRegister(this.regs, LEGACY_HEADER.driver_feature, Number(features & LEGACY_FEATURE_MASK));
  }
  getStatus(): number {
    return readRegister(this.regs, LEGACY_HEADER.device_status);
  }
  setStatus(status: number): void {
    writeRegister(this.regs, LEGACY_HEADER.device_status, status);
  }
  numQueues(): number {
    return this.queueCount;
  }

  queueMaxSize(index: number): number {
    this.selectQueue(index);
    return readRegister(this.regs, LEGACY_HEADER.queue_size);
  }

  setupQueue(index: number, size: number, addresses: QueueAddresses): void {
    const fixed = this.queueMaxSize(index);
    if (size !== fixed) {
      throw new VirtioQueueError(this.name, "queue-size", `queue ${index}: legacy size is fixed at ${fixed}, asked ${size}`);
    }
    const pfn = addresses.descriptorArea / 2 ** LEGACY_PFN_SHIFT;
    if (addresses.descriptorArea % LEGACY_QUEUE_ALIGN !== 0 || pfn >= PFN_LIMIT) {
      throw new VirtioQueueError(this.name, "queue-address", `queue ${index}: ring at 0x${addresses.descriptorArea.toString(16)} has no 32-bit PFN`);
    }
    writeRegister(this.regs, LEGACY_HEADER.queue_address, pfn);
  }

  notify(index: number): void {
    this.regs.write16(QUEUE_NOTIFY.offset, index);
  }

  readIsr(): number {
    return this.regs.read8(ISR_STATUS.offset);
  }

  setConfigVector(vector: number): number {
    if (!this.msixEnabled()) return NO_VECTOR;
    writeRegister(this.regs, LEGACY_HEADER.config_msix_vector, vector);
    return readRegister(this.regs, LEGACY_HEADER.config_msix_vector);
  }

  setQueueVector(index: number, vector: number): number {
    if (!this.msixEnabled()) return NO_VECTOR;
    this.selectQueue(index);
    writeRegister(this.regs, LEGACY_HEADER.queue_msix_vector, vector);
    return readRegister(this.regs, LEGACY_HEADER.queue_msix_vector);
  }

  /** Legacy has no generation counter; multi-byte fields can tear. */
  configGeneration(): number {
    return FIXED_GENERATION;
  }

  protected deviceConfig(): IoRegion {
    return this.msixEnabled() ? this.configMsix : this.config;
  }

  private selectQueue(index: number): void {
    if (!(index >= 0 && index < LEGACY_MAX_QUEUES)) {
      throw new VirtioQueueError(this.name, "queue-index", `queue ${index} out of range`);
    }
    writeRegister(this.regs, LEGACY_HEADER.queue_select, index);
  }

  private countQueues(): number {
    let count = 0;
    while (count < LEGACY_MAX_QUEUES && this.queueMaxSize(count) !== 0) count++;
    return count;
  }
}
