import type { Platform } from "../../kernel/platform";
import { DeviceStatus } from "./status";
import { FeatureBit, RING_FEATURES, feature, hasFeature } from "./features";
import { VirtioError, VirtioFeatureError, VirtioQueueError, VirtioUsageError, asVirtioError, type VirtioRingBrokenError } from "./errors";
import {
  ISR_CONFIG,
  boundQueues,
  pollingBinding,
  type VirtioInterruptBinder,
  type VirtioInterruptBinding,
  type VirtioQueueHandlers,
  type VirtioInterruptMode,
  type VirtioInterruptStats,
} from "./interrupts";
import type { Transport } from "./transport/transport";
import { SplitVirtqueue } from "./ring/split";
import { PackedVirtqueue } from "./ring/packed";
import { MAX_PACKED_QUEUE_SIZE } from "./ring/packed-format";
import type { RingLayoutKind, Virtqueue, VirtqueueOptions } from "./ring/virtqueue";
import { DevicePlatform } from "./device-platform";
import type { VirtioDriver } from "./registry";

export const RESET_TIMEOUT_NS = 100_000_000;

export interface QueueOptions {
  /** Upper bound for the ring size (power of two); the device's maximum otherwise. */
  readonly maxSize?: number;
  /** Entries per indirect table, used only when INDIRECT_DESC was negotiated. */
  readonly indirectEntries?: number;
}

export interface VirtioDeviceOptions {
  /** "split" keeps the split layout even when the device offers RING_PACKED; "any" (default) takes packed when offered. */
  readonly ring?: "any" | "split";
}

/** The ring layout `features` select: packed with RING_PACKED, which only modern interfaces (VERSION_1) can carry. */
export function ringLayoutOf(features: bigint): RingLayoutKind {
  return hasFeature(features, FeatureBit.RingPacked) && hasFeature(features, FeatureBit.Version1) ? "packed" : "split";
}

/**
 * "unclaimed": acknowledged, no driver; "ready": a driver took it to DRIVER_OK; "failed": FAILED
 * set and everything freed; "detached": reset and everything freed, can be claimed again.
 */
export type VirtioDeviceState = "unclaimed" | "ready" | "failed" | "detached";

/**
 * One virtio device and its lifecycle. Initialisation (spec 3.1.1) is `acknowledge` (reset +
 * ACKNOWLEDGE), then `claim(driver)`: `negotiate` (DRIVER, features, FEATURES_OK), the driver's
 * `attach` (`createQueue`...), `driverOk`, the driver's `ready`. Afterwards the device brings
 * configuration changes to the driver's `configChanged` (from the config interrupt, or from
 * `checkConfig` when polled) and tells it once when a queue broke.
 *
 * Teardown is structural: `detach`, `fail` (also after a failed claim) and `recover` reset the
 * device, free every queue and every DMA region allocated through `platform` (this device's
 * DevicePlatform records them) and release the interrupt vectors, whatever the driver did.
 */
export class VirtioDevice {
  /** The machine, with every DMA allocation recorded for teardown: drivers allocate through this. */
  readonly platform: DevicePlatform;
  /**
   * The machine itself, for memory a user of the device keeps across `recover()` (a block layer's
   * buffers): what is allocated here is not the device's to free.
   */
  readonly machine: Platform;
  readonly queues: Virtqueue<unknown>[] = [];
  /** Offered by the device (masked to what the transport can carry). */
  offeredFeatures = 0n;
  /** Negotiated. */
  features = 0n;
  state: VirtioDeviceState = "unclaimed";
  /** Why the device failed. */
  error: VirtioError | undefined;
  /** The driver that claimed the device and what its `attach` returned (while ready). */
  driver: VirtioDriver | undefined;
  instance: unknown;
  /** Configuration changes brought to the driver. */
  configChanges = 0;
  /**
   * Changes the driver could not take (the configuration never settled, a value out of range):
   * counted and the last one kept; the driver keeps its previous view and the device goes on.
   */
  configErrors = 0;
  lastConfigError: VirtioError | undefined;
  /** Interrupts that reached each bound queue's handler, by queue index (kept across recoveries). */
  readonly queueInterrupts: number[] = [];
  /** Times the device set DEVICE_NEEDS_RESET (virtio 1.2 section 2.1.2) while a driver had it. */
  needsResets = 0;
  private status: number = DeviceStatus.Reset;
  private interrupts: VirtioInterruptBinding | undefined;
  /** config_generation when the driver last saw the configuration (modern devices). */
  private generation = 0;
  private nextConfigCheckNs = 0;
  private ringBrokenTold = false;
  /** While DEVICE_NEEDS_RESET breaks the queues one by one: the driver is told after the last. */
  private markingAllBroken = false;

  /** Without an interrupt binder (no router given to the probe, mmio) the device is polled. */
  constructor(
    platform: Platform,
    readonly transport: Transport,
    private readonly interruptBinder?: VirtioInterruptBinder,
    private readonly options: VirtioDeviceOptions = {},
  ) {
    this.machine = platform;
    this.platform = new DevicePlatform(platform);
  }

  get name(): string {
    return this.transport.name;
  }

  acknowledge(): void {
    this.transport.reset(RESET_TIMEOUT_NS);
    this.status = DeviceStatus.Reset;
    this.addStatus(DeviceStatus.Acknowledge);
    this.offeredFeatures = this.transport.readDeviceFeatures() & this.transport.featureMask;
  }

  /**
   * Accepts `wanted & offered`, plus VERSION_1 (which modern interfaces require) and the ring
   * features every driver gets (RING_PACKED unless the split layout is forced, IN_ORDER).
   */
  negotiate(wanted: bigint): bigint {
    this.addStatus(DeviceStatus.Driver);
    const transport = this.transport;
    let accept = wanted | RING_FEATURES;
    if (this.options.ring === "split") accept &= ~feature(FeatureBit.RingPacked);
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
    // The driver reads the configuration from here on; later generations are changes.
    if (this.isModern) this.generation = transport.configGeneration();
    return this.features;
  }

  has(bit: number): boolean {
    return hasFeature(this.features, bit);
  }

  /**
   * VERSION_1 was negotiated: the modern interface (config_generation, FEATURES_OK, little-endian
   * configuration). Legacy otherwise. The one place drivers learn which one they talk to.
   */
  get isModern(): boolean {
    return this.has(FeatureBit.Version1);
  }

  /** The virtqueue layout, fixed by negotiation. */
  get ringLayout(): RingLayoutKind {
    return ringLayoutOf(this.features);
  }

  /** A queue of the negotiated layout; the driver sees only the Virtqueue interface. */
  createQueue<T>(index: number, options: QueueOptions = {}): Virtqueue<T> {
    const transport = this.transport;
    const packed = this.ringLayout === "packed";
    const max = transport.queueMaxSize(index);
    if (max === 0) throw new VirtioQueueError(this.name, "queue-absent", `queue ${index} has size 0`);
    // A packed ring's size need not be a power of two (virtio 1.2 section 2.8).
    if (max > MAX_PACKED_QUEUE_SIZE || (!packed && (max & (max - 1)) !== 0)) {
      throw new VirtioQueueError(this.name, "queue-size", `queue ${index}: device size ${max} is not a ${packed ? "size" : "power of two"} <= ${MAX_PACKED_QUEUE_SIZE}`);
    }
    const limit = options.maxSize ?? max;
    if (limit !== max && ((limit & (limit - 1)) !== 0 || limit < 1)) {
      throw new VirtioUsageError(this.name, "queue-size", `queue ${index}: maxSize ${limit} is not a power of two`);
    }
    const size = transport.queueSizeFixed ? max : Math.min(max, limit);
    const ringOptions: VirtqueueOptions = {
      deviceName: this.name,
      index,
      size,
      eventIdx: this.has(FeatureBit.EventIdx),
      inOrder: this.has(FeatureBit.InOrder),
      indirectEntries: this.has(FeatureBit.IndirectDesc) ? (options.indirectEntries ?? 0) : 0,
    };
    let queue: Virtqueue<T>;
    try {
      queue = packed
        ? new PackedVirtqueue<T>(this.platform, transport, ringOptions)
        : new SplitVirtqueue<T>(this.platform, transport, { ...ringOptions, placement: transport.ringPlacement });
    } catch (cause) {
      // The platform refuses a DMA allocation with a RangeError: a ring (and its indirect tables) the
      // device sized beyond the memory there is (a legacy interface cannot choose a smaller one).
      if (!(cause instanceof RangeError)) throw cause;
      throw new VirtioQueueError(this.name, "queue-memory", `queue ${index} of ${size} entries: ${cause.message}`);
    }
    try {
      transport.setupQueue(index, size, queue.addresses);
    } catch (error) {
      queue.destroy();
      throw error;
    }
    queue.onBroken = this.onRingBroken;
    this.queues.push(queue as Virtqueue<unknown>);
    return queue;
  }

  /**
   * Binds the device's interrupts once, during attach and before the named queues are created
   * (a queue's vector is part of its set-up). Returns the mode the device got; "polling" means
   * nothing will interrupt and the driver must poll.
   */
  bindInterrupts(handlers: VirtioQueueHandlers): VirtioInterruptMode {
    if (this.interrupts !== undefined) throw new VirtioUsageError(this.name, "interrupts-bound", "interrupts are already bound");
    const queues = boundQueues(this.name, handlers, this.transport.numQueues());
    const created = queues.filter((q) => this.queues.some((queue) => queue.index === q));
    if (created.length > 0) {
      throw new VirtioUsageError(this.name, "interrupts-late", `queue ${created.join(",")} created before its interrupt was bound`);
    }
    for (const queue of queues) if (this.queueInterrupts[queue] === undefined) this.queueInterrupts[queue] = 0;
    const counts = this.queueInterrupts;
    const onQueue = handlers.onQueue;
    const counted = (index: number): void => {
      counts[index]++;
      onQueue(index);
    };
    const withConfig = { queues: handlers.queues, onQueue: counted, onConfig: this.onConfigInterrupt };
    this.interrupts = this.interruptBinder?.bind(withConfig, queues) ?? pollingBinding();
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

  /**
   * Negotiates `driver.features` and takes the device through the driver's `attach`, DRIVER_OK and
   * its `ready`. On failure the device is failed (reset, everything freed, FAILED set) and `error`
   * says why. A detached device is acknowledged again first. Returns whether the device is ready.
   */
  claim(driver: VirtioDriver): boolean {
    if (this.state === "detached") {
      try {
        this.acknowledge();
      } catch (cause) {
        this.fail(cause);
        return false;
      }
      this.state = "unclaimed";
    }
    if (this.state !== "unclaimed") throw new VirtioUsageError(this.name, "claim", `device is ${this.state}`);
    try {
      this.negotiate(driver.featuresFor?.(this.offeredFeatures, this.name) ?? driver.features);
      this.instance = driver.attach(this);
      this.driver = driver;
      this.driverOk();
      driver.ready?.(this.instance);
      this.state = "ready";
      return true;
    } catch (cause) {
      this.fail(cause);
      return false;
    }
  }

  /**
   * The driver's `detach`, then reset and free everything; the device can be claimed again. Throws
   * (after the teardown) what the driver's `detach` threw.
   */
  detach(): void {
    if (this.state !== "ready") throw new VirtioUsageError(this.name, "detach", `device is ${this.state}`);
    const detachError = this.teardown();
    this.state = "detached";
    if (detachError !== undefined) throw asVirtioError(this.name, detachError);
  }

  /**
   * Resets and re-initialises the device under the same driver (after a broken ring, or a device
   * that asked for a reset): the old instance is detached and everything freed, then features are
   * negotiated again and the driver attached anew. Returns whether the device is ready again; the
   * new instance is `instance`.
   */
  recover(): boolean {
    const driver = this.driver;
    if (driver === undefined || this.state !== "ready") throw new VirtioUsageError(this.name, "recover", `device is ${this.state}`);
    this.teardown();
    this.state = "detached";
    return this.claim(driver);
  }

  /**
   * Polled devices: whether the configuration changed since the driver last saw it (a new
   * config_generation on modern devices; the ISR config bit, which reading clears, on legacy ones)
   * and if so brings the change to the driver's `configChanged`. At most one check per `intervalNs`.
   * Does nothing while interrupts are bound: the config interrupt brings changes (and on INTx the
   * ISR belongs to the interrupt handler).
   */
  checkConfig(intervalNs = 0): boolean {
    if (this.driver === undefined || this.interruptMode !== "polling") return false;
    if (intervalNs > 0) {
      const now = this.platform.monotonicNs();
      if (now < this.nextConfigCheckNs) return false;
      this.nextConfigCheckNs = now + intervalNs;
    }
    const transport = this.transport;
    // A device that needs a reset should also signal a configuration change, but a polled driver
    // cannot count on config_generation moving: the status is read as well.
    if (this.isModern && this.checkNeedsReset()) return true;
    const changed = this.isModern ? transport.configGeneration() !== this.generation : (transport.readIsr() & ISR_CONFIG) !== 0;
    if (changed) this.configChanged();
    return changed;
  }

  /**
   * Gives up on the device: the driver's `detach` (if it was attached), reset, everything freed,
   * then FAILED (best effort: the device may be unreachable). Returns the typed error.
   */
  fail(cause: unknown): VirtioError {
    const error = asVirtioError(this.name, cause);
    this.teardown();
    try {
      this.transport.setStatus(DeviceStatus.Failed);
    } catch {
      // The original cause is what matters to the caller.
    }
    this.status = DeviceStatus.Failed;
    this.state = "failed";
    this.error = error;
    return error;
  }

  private readonly onConfigInterrupt = (): void => this.configChanged();

  private configChanged(): void {
    const driver = this.driver;
    if (this.isModern) {
      if (driver !== undefined && this.checkNeedsReset()) return;
      this.generation = this.transport.configGeneration();
    }
    if (driver === undefined) return;
    this.configChanges++;
    try {
      driver.configChanged?.(this.instance);
    } catch (cause) {
      this.configErrors++;
      this.lastConfigError = asVirtioError(this.name, cause);
    }
  }

  /**
   * Whether the device set DEVICE_NEEDS_RESET (modern devices; the bit does not exist in legacy
   * ones). It will not complete what is in flight, so every queue is marked broken: the driver
   * hears of it once through `ringBroken` and resets the device (or the device fails without the
   * hook), as after an impossible used entry.
   */
  private checkNeedsReset(): boolean {
    if ((this.transport.getStatus() & DeviceStatus.NeedsReset) === 0) return false;
    this.needsResets++;
    // Every queue is marked before the driver hears of it: what its handler does on another queue
    // must find that queue broken too, not publish to a device that will complete nothing.
    this.markingAllBroken = true;
    try {
      for (const queue of this.queues) queue.markBroken("device-needs-reset", "the device set DEVICE_NEEDS_RESET");
    } finally {
      this.markingAllBroken = false;
    }
    const error = this.queues.find((queue) => queue.broken !== undefined)?.broken;
    if (error !== undefined) this.onRingBroken(error);
    return true;
  }

  /** A queue broke: the driver hears of it once per attach; without a hook the device fails. */
  private readonly onRingBroken = (error: VirtioRingBrokenError): void => {
    const driver = this.driver;
    if (this.markingAllBroken || this.ringBrokenTold || driver === undefined) return;
    this.ringBrokenTold = true;
    if (driver.ringBroken === undefined) {
      this.fail(error);
      return;
    }
    try {
      driver.ringBroken(this.instance, error);
    } catch (cause) {
      this.fail(cause);
    }
  };

  /**
   * The driver's `detach` (if attached), then reset, interrupts released, queues and every DMA
   * region freed. If the reset does not complete the device may still write to that memory, so it
   * is kept (the queues are retired all the same). Returns what the driver's `detach` threw.
   */
  private teardown(): unknown {
    const { driver, instance } = this;
    this.driver = undefined;
    this.instance = undefined;
    let detachError: unknown;
    if (driver !== undefined) {
      try {
        driver.detach?.(instance);
      } catch (cause) {
        detachError = cause;
      }
    }
    let reset = true;
    try {
      this.transport.reset(RESET_TIMEOUT_NS);
    } catch {
      reset = false;
    }
    this.status = DeviceStatus.Reset;
    this.interrupts?.release();
    this.interrupts = undefined;
    for (const queue of this.queues) {
      if (reset) queue.destroy();
      else queue.retire();
    }
    this.queues.length = 0;
    if (reset) this.platform.freeAll();
    this.ringBrokenTold = false;
    this.nextConfigCheckNs = 0;
    return detachError;
  }

  private addStatus(bit: number): void {
    this.status |= bit;
    this.transport.setStatus(this.status);
  }
}
