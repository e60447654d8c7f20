import type { Platform } from "../../kernel/platform";
import { DeviceStatus } from "./status";
import { FeatureBit, feature, hasFeature } from "./features";
import { MAX_QUEUE_SIZE } from "./ring/split-format";
import { VirtioError, VirtioFeatureError, VirtioQueueError, VirtioUsageError, asVirtioError } from "./errors";
import {
  boundQueues,
  pollingBinding,
  type VirtioInterruptBinder,
  type VirtioInterruptBinding,
  type VirtioInterruptHandlers,
  type VirtioInterruptMode,
  type VirtioInterruptStats,
} from "./interrupts";
import type { Transport } from "./transport/transport";
import { SplitVirtqueue } from "./ring/split";

export const RESET_TIMEOUT_NS = 100_000_000;

export interface QueueOptions {
  /** Upper bound for the ring size (power of two); the device's maximum otherwise. */
  readonly maxSize?: number;
  /** Entries per indirect table, used only when INDIRECT_DESC was negotiated. */
  readonly indirectEntries?: number;
}

/**
 * One device going through initialisation (spec 3.1.1): `acknowledge` (reset + ACKNOWLEDGE),
 * `negotiate` (DRIVER, features, FEATURES_OK), `createQueue`..., `driverOk`. Any step that fails
 * throws a VirtioError; the caller passes it to `fail`, which sets FAILED.
 */
export class VirtioDevice {
  readonly queues: SplitVirtqueue<unknown>[] = [];
  /** Offered by the device (masked to what the transport can carry). */
  offeredFeatures = 0n;
  /** Negotiated. */
  features = 0n;
  private status: number = DeviceStatus.Reset;
  private interrupts: VirtioInterruptBinding | undefined;

  /** Without an interrupt binder (no router given to the probe, mmio) the device is polled. */
  constructor(
    readonly platform: Platform,
    readonly transport: Transport,
    private readonly interruptBinder?: VirtioInterruptBinder,
  ) {}

  get name(): string {
    return this.transport.device;
  }

  acknowledge(): void {
    this.transport.reset(RESET_TIMEOUT_NS);
    this.status = DeviceStatus.Reset;
    this.addStatus(DeviceStatus.Acknowledge);
    this.offeredFeatures = this.transport.readDeviceFeatures() & this.transport.featureMask;
  }

  /** Accepts `wanted & offered` (plus VERSION_1, which modern interfaces require). */
  negotiate(wanted: bigint): bigint {
    this.addStatus(DeviceStatus.Driver);
    const transport = this.transport;
    let accept = wanted;
    if (transport.hasFeaturesOk) {
      if (!hasFeature(this.offeredFeatures, FeatureBit.Version1)) {
        throw new VirtioFeatureError(this.name, "version-1", "modern interface without VERSION_1");
      }
      accept |= feature(FeatureBit.Version1);
    }
    this.features = this.offeredFeatures & accept & transport.featureMask;
    transport.writeDriverFeatures(this.features);
    if (transport.hasFeaturesOk) {
      this.addStatus(DeviceStatus.FeaturesOk);
      const status = transport.getStatus();
      if ((status & DeviceStatus.FeaturesOk) === 0) {
        throw new VirtioFeatureError(this.name, "features-ok", `device refused features 0x${this.features.toString(16)} (status 0x${status.toString(16)})`);
      }
    }
    return this.features;
  }

  has(bit: number): boolean {
    return hasFeature(this.features, bit);
  }

  createQueue<T>(index: number, options: QueueOptions = {}): SplitVirtqueue<T> {
    const transport = this.transport;
    const max = transport.queueMaxSize(index);
    if (max === 0) throw new VirtioQueueError(this.name, "queue-absent", `queue ${index} has size 0`);
    if (max > MAX_QUEUE_SIZE || (max & (max - 1)) !== 0) {
      throw new VirtioQueueError(this.name, "queue-size", `queue ${index}: device size ${max} is not a power of two <= ${MAX_QUEUE_SIZE}`);
    }
    const limit = options.maxSize ?? max;
    if ((limit & (limit - 1)) !== 0 || limit < 1) {
      throw new VirtioUsageError(this.name, "queue-size", `queue ${index}: maxSize ${limit} is not a power of two`);
    }
    const size = transport.queueSizeFixed ? max : Math.min(max, limit);
    const queue = new SplitVirtqueue<T>(this.platform, transport, {
      device: this.name,
      index,
      size,
      placement: transport.ringPlacement,
      eventIdx: this.has(FeatureBit.EventIdx),
      indirectEntries: this.has(FeatureBit.IndirectDesc) ? (options.indirectEntries ?? 0) : 0,
    });
    try {
      transport.setupQueue(index, size, queue.addresses);
    } catch (error) {
      queue.destroy();
      throw error;
    }
    this.queues.push(queue as SplitVirtqueue<unknown>);
    return queue;
  }

  /**
   * Binds the device's interrupts once, during attach and before the named queues are created
   * (a queue's vector is part of its set-up). Returns the mode the device got; "polling" means
   * nothing will interrupt and the driver must poll.
   */
  bindInterrupts(handlers: VirtioInterruptHandlers): VirtioInterruptMode {
    if (this.interrupts !== undefined) throw new VirtioUsageError(this.name, "interrupts-bound", "interrupts are already bound");
    const queues = boundQueues(this.name, handlers, this.transport.numQueues());
    const created = queues.filter((q) => this.queues.some((queue) => queue.index === q));
    if (created.length > 0) {
      throw new VirtioUsageError(this.name, "interrupts-late", `queue ${created.join(",")} created before its interrupt was bound`);
    }
    this.interrupts = this.interruptBinder?.bind(handlers, queues) ?? pollingBinding();
    return this.interrupts.mode;
  }

  get interruptMode(): VirtioInterruptMode {
    return this.interrupts?.mode ?? "polling";
  }

  /** Counters of the bound interrupts; undefined before `bindInterrupts`. */
  get interruptStats(): VirtioInterruptStats | undefined {
    return this.interrupts?.stats;
  }

  driverOk(): void {
    this.addStatus(DeviceStatus.DriverOk);
  }

  /** Sets FAILED (best effort: the device may be unreachable) and returns the typed error. */
  fail(cause: unknown): VirtioError {
    try {
      this.transport.setStatus(this.status | DeviceStatus.Failed);
    } catch {
      // The original cause is what matters to the caller.
    }
    this.interrupts?.release();
    this.interrupts = undefined;
    return asVirtioError(this.name, cause);
  }

  private addStatus(bit: number): void {
    this.status |= bit;
    this.transport.setStatus(this.status);
  }
}
