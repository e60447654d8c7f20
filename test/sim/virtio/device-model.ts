import type { SimMemory } from "../memory";
import type { AccessWidth } from "../registers";
import type { ViolationLog } from "../violations";
import { defaultFaults } from "./faults";
import type { DeviceQueue, QueueEnv } from "./device-queue";
import { PackedQueue } from "./packed-queue";
import { SimQueue } from "./queue";
import { configAccessOk, isPowerOfTwo } from "./registers";
import type { SimRequest } from "./request";
import { DEVICE_STATUS } from "./spec/device-status";
import type { SpecTable } from "./spec/field";
import { LEGACY_FEATURE_BITS, VIRTIO_F, featureBit, hasFeatureBit } from "./spec/feature-bits";
import { VIRTIO_MSI_NO_VECTOR, VIRTIO_PCI_ISR } from "./spec/pci-capability";

/** Where a device's interrupts go: its transport's MSI-X or INTx (see pci-interrupts.ts). */
export interface InterruptSink {
  /** An event for the MSI-X vector register value `vector`. */
  signal(vector: number): void;
  /** The ISR changed; INTx follows it. */
  isrChanged(): void;
}

/** Returned by a request handler that keeps the buffer for later (net rx). */
export const PARK = Symbol("park");
export type RequestResult = number | typeof PARK;

export type InterfaceMode = "modern" | "legacy";

export interface DeviceModelOptions {
  readonly memory: SimMemory;
  readonly violations: ViolationLog;
  readonly queueSizes: readonly number[];
  /** Device-specific feature bits offered. */
  readonly features: bigint;
  /** The device-specific configuration structure, and how many of its bytes the device has. */
  readonly configLayout: SpecTable;
  readonly configSize: number;
  /** Feature dependencies: accepting the key requires accepting one of the listed bits. */
  readonly featureRequires?: Readonly<Record<number, readonly number[]>>;
  /** Offer EVENT_IDX / INDIRECT_DESC (default true). */
  readonly eventIdx?: boolean;
  readonly indirect?: boolean;
  /** Offer RING_PACKED / IN_ORDER (default false: split rings). */
  readonly packed?: boolean;
  readonly inOrder?: boolean;
}

/** The ring-format features a test may have a model offer. */
export type RingOffer = Pick<DeviceModelOptions, "packed" | "inOrder">;

/**
 * Transport-independent state of a virtio device: status, features, queues, device config.
 * Transport adapters (PCI modern, PCI legacy, mmio) translate register accesses into calls here;
 * device models override `handleRequest`. Records every driver spec violation it sees.
 */
export abstract class VirtioDeviceModel implements QueueEnv {
  abstract readonly deviceType: number;
  readonly faults = defaultFaults();
  /** The queues as split rings, and as packed rings: `queue(index)` is the one the features select. */
  readonly queues: SimQueue[];
  readonly packedQueues: PackedQueue[];
  readonly config: Uint8Array;
  readonly configLayout: SpecTable;
  readonly memory: SimMemory;
  readonly offeredFeatures: bigint;
  driverFeatures = 0n;
  generation = 0;
  isr = 0;
  configMsixVector = VIRTIO_MSI_NO_VECTOR;
  /** MSI-X table size; 0 means vectors are refused. */
  msixVectors = 0;
  /** Writes to the MSI-X vector registers (configuration and queues), accepted or not. */
  vectorWrites = 0;
  /** Hold every request in `queue.held` until `releaseHeld`. */
  holdCompletions = false;
  /** With IN_ORDER negotiated on packed rings: one used descriptor for each batch of completions. */
  inOrderBatch = false;
  /** Set by the transport that carries the device's interrupts; none (mmio) means they go nowhere. */
  interruptSink: InterruptSink | undefined;
  /** Which interface the driver is using (transitional devices offer both). */
  mode: InterfaceMode = "modern";
  name = "virtio";
  private status = 0;
  /** Status reads left that show DEVICE_NEEDS_RESET after a reset write (Infinity: the reset never completes). */
  private resetReadsLeft = 0;
  /** 0 was written to the status and no read has returned 0 since (section 4.1.4.3.2). */
  private resetUnconfirmed = false;
  private readonly violations: ViolationLog;
  private readonly featureRequires: Readonly<Record<number, readonly number[]>>;
  /** The queue of the processing pass under way, whose batched used entries are written at its end. */
  private passQueue: DeviceQueue | undefined;

  constructor(options: DeviceModelOptions) {
    this.memory = options.memory;
    this.violations = options.violations;
    this.queues = options.queueSizes.map((size, i) => new SimQueue(i, size));
    this.packedQueues = options.queueSizes.map((size, i) => new PackedQueue(i, size));
    this.config = new Uint8Array(options.configSize);
    this.configLayout = options.configLayout;
    this.featureRequires = options.featureRequires ?? {};
    this.offeredFeatures =
      options.features |
      featureBit(VIRTIO_F.VERSION_1) |
      (options.eventIdx === false ? 0n : featureBit(VIRTIO_F.EVENT_IDX)) |
      (options.indirect === false ? 0n : featureBit(VIRTIO_F.INDIRECT_DESC)) |
      (options.packed ? featureBit(VIRTIO_F.RING_PACKED) : 0n) |
      (options.inOrder ? featureBit(VIRTIO_F.IN_ORDER) : 0n);
  }

  get eventIdx(): boolean {
    return this.negotiated(VIRTIO_F.EVENT_IDX);
  }
  get indirect(): boolean {
    return this.negotiated(VIRTIO_F.INDIRECT_DESC);
  }
  /** The queues are packed rings (only the modern interfaces carry feature bit 34). */
  get packed(): boolean {
    return this.negotiated(VIRTIO_F.RING_PACKED);
  }
  get batchUsed(): boolean {
    return this.inOrderBatch && this.packed && this.negotiated(VIRTIO_F.IN_ORDER);
  }
  get driverOk(): boolean {
    return (this.status & DEVICE_STATUS.DRIVER_OK) !== 0;
  }

  /** Whether the driver accepted feature `bit`. */
  negotiated(bit: number): boolean {
    return hasFeatureBit(this.driverFeatures, bit);
  }

  report(message: string): void {
    this.violations.record(this.name, message);
  }

  protected abstract handleRequest(request: SimRequest): RequestResult;
  protected onReset(): void {}
  /** Device-specific writable config; return false for read-only bytes. */
  protected writeDeviceConfig(_offset: number, _width: number, _value: number): boolean {
    return false;
  }

  readStatus(): number {
    if (this.resetReadsLeft > 0) {
      this.resetReadsLeft--;
      return DEVICE_STATUS.DEVICE_NEEDS_RESET;
    }
    const status = this.status | (this.faults.needsReset ? DEVICE_STATUS.DEVICE_NEEDS_RESET : 0);
    if (status === 0) this.resetUnconfirmed = false;
    return status;
  }

  /** Device status writes, checked against the initialisation sequence (section 3.1.1). */
  writeStatus(value: number): void {
    if (value === 0) {
      this.reset();
      this.faults.needsReset = false;
      this.resetReadsLeft = this.faults.resetNeverCompletes ? Number.POSITIVE_INFINITY : this.faults.resetLateReads;
      this.resetUnconfirmed = true;
      return;
    }
    if (this.resetUnconfirmed) this.report(`status 0x${value.toString(16)} written before a read confirmed the reset`);
    const old = this.status;
    if ((value & old) !== old) this.report(`status 0x${value.toString(16)} clears bits of 0x${old.toString(16)} without reset`);
    const added = value & ~old;
    const requires = (bit: number, needed: number, message: string) => {
      if (added & bit && !(value & needed)) this.report(message);
    };
    requires(DEVICE_STATUS.DRIVER, DEVICE_STATUS.ACKNOWLEDGE, "DRIVER set without ACKNOWLEDGE");
    requires(DEVICE_STATUS.FEATURES_OK, DEVICE_STATUS.DRIVER, "FEATURES_OK set without DRIVER");
    requires(DEVICE_STATUS.DRIVER_OK, DEVICE_STATUS.DRIVER, "DRIVER_OK set without DRIVER");
    if (added & DEVICE_STATUS.FEATURES_OK && !this.acceptFeatures()) value &= ~DEVICE_STATUS.FEATURES_OK;
    if (this.mode === "modern") requires(DEVICE_STATUS.DRIVER_OK, DEVICE_STATUS.FEATURES_OK, "DRIVER_OK without FEATURES_OK");
    this.status = value;
  }

  deviceFeatures(): bigint {
    if (this.mode === "legacy") return this.offeredFeatures & (featureBit(LEGACY_FEATURE_BITS) - 1n);
    return this.faults.withholdVersion1 ? this.offeredFeatures & ~featureBit(VIRTIO_F.VERSION_1) : this.offeredFeatures;
  }

  setDriverFeatures(value: bigint): void {
    if (this.status & DEVICE_STATUS.FEATURES_OK) this.report("driver features written after FEATURES_OK");
    if (this.status & DEVICE_STATUS.DRIVER_OK) this.report("driver features written after DRIVER_OK");
    this.driverFeatures = value;
  }

  /** Queue `index` in the format the driver's features select. */
  queue(index: number): DeviceQueue | undefined {
    return (this.packed ? this.packedQueues : this.queues)[index];
  }

  /** queue_size / QueueNum: up to the maximum, a power of 2 unless the queue is packed (sections 2.7, 2.8). */
  checkQueueSize(index: number, size: number): void {
    if (size === 0 || size > this.queueMaxSize(index)) this.report(`queue ${index}: size ${size} invalid`);
    else if (!isPowerOfTwo(size) && !this.packed) this.report(`queue ${index}: size ${size} is not a power of 2 (only packed queues, with VIRTIO_F_RING_PACKED negotiated, may be)`);
  }

  queueMaxSize(index: number): number {
    const queue = this.queues[index];
    if (queue === undefined) return 0;
    return this.faults.queueMaxSizes?.[index] ?? queue.maxSize;
  }

  /**
   * Queue set-up belongs after FEATURES_OK (after DRIVER on the legacy interface, which has no
   * FEATURES_OK) and before DRIVER_OK (section 3.1.1). Reports it elsewhere; returns whether the
   * write may proceed.
   */
  queueSetupAllowed(what: string): boolean {
    if (this.driverOk) {
      this.report(`${what} written after DRIVER_OK`);
      return false;
    }
    const modern = this.mode === "modern";
    if (!(this.status & (modern ? DEVICE_STATUS.FEATURES_OK : DEVICE_STATUS.DRIVER))) {
      this.report(`${what} written before ${modern ? "FEATURES_OK" : "DRIVER"}`);
    }
    return true;
  }

  notify(index: number): void {
    const queue = this.queue(index);
    if (!this.driverOk) return this.report(`notify of queue ${index} before DRIVER_OK`);
    if (queue === undefined) return this.report(`notify of nonexistent queue ${index}`);
    if (!queue.enabled) return this.report(`notify of disabled queue ${index}`);
    queue.notifications++;
    queue.checkNotification(this);
    this.process(queue);
  }

  /** The device looks at queue `index` without a notification (devices may poll). */
  poll(index: number): void {
    const queue = this.queue(index);
    if (queue?.enabled && this.driverOk) this.process(queue);
  }

  /** The device fails (section 2.1.2): DEVICE_NEEDS_RESET, and a configuration change notification. */
  enterNeedsReset(): void {
    this.faults.needsReset = true;
    this.interrupt(VIRTIO_PCI_ISR.CONFIG, this.configMsixVector);
  }

  /** A device that loses its state on its own: status, features and queues as after a reset. */
  resetBehindDriver(): void {
    this.reset();
  }

  /** Completes `queue.held` requests, in `order` (indices into held) or first-in first-out. */
  releaseHeld(index: number, order?: readonly number[]): void {
    const queue = this.queue(index) as DeviceQueue;
    const held = queue.held.splice(0, queue.held.length);
    this.pass(queue, () => {
      for (const i of order ?? held.map((_, j) => j)) this.dispatch(held[i]);
    });
  }

  /** Writes the used entry for `request` (applying used-ring faults). */
  complete(request: SimRequest, length: number): void {
    const queue = this.queue(request.queue) as DeviceQueue;
    // The device owned these buffers and the rings: the driver must not have freed any of them.
    if (!queue.ringsLive()) return this.report(`queue ${request.queue}: rings freed while the device still owns request ${request.head}`);
    if (request.freed()) this.report(`queue ${request.queue}: a buffer of request ${request.head} was freed while the device owned it`);
    const fault = this.faults.usedId;
    const id = fault === "out-of-range" ? queue.size + request.head : fault === "not-in-flight" ? queue.idleId() : request.head;
    queue.release(request);
    const len = length + this.faults.usedLengthExtra;
    const slots = request.descriptors.length;
    let wanted = queue.pushUsed(this, id, len, slots);
    if (fault === "repeat") wanted = queue.pushUsed(this, id, len, slots) || wanted;
    if (this.faults.usedAhead) wanted = queue.pushUsed(this, request.head, 0, 1) || wanted;
    if (queue !== this.passQueue) wanted = queue.flushUsed(this) || wanted;
    if (wanted) this.interrupt(VIRTIO_PCI_ISR.QUEUE, queue.msixVector);
  }

  /** Device-specific configuration reads; on the modern interface the access must fit a field. */
  readConfig(offset: number, width: AccessWidth): number {
    if (this.mode === "modern" && !configAccessOk(this, this.configLayout, offset, width, false)) return 0;
    if (this.faults.configGenerationBumps > 0) {
      this.faults.configGenerationBumps--;
      this.generation = (this.generation + 1) & 0xff;
    }
    if (offset < 0 || offset + width > this.config.length) {
      this.report(`${width}-byte device config read at ${offset} beyond ${this.config.length} bytes`);
      return 0;
    }
    let value = 0;
    for (let i = width - 1; i >= 0; i--) value = value * 256 + this.config[offset + i];
    return value;
  }

  writeConfig(offset: number, width: AccessWidth, value: number): void {
    if (this.mode === "modern" && !configAccessOk(this, this.configLayout, offset, width, true)) return;
    if (!this.writeDeviceConfig(offset, width, value)) this.report(`write to read-only device config at ${offset}`);
  }

  /** A device-side config change: new generation and the config-change ISR bit. */
  changeConfig(update: (view: DataView) => void): void {
    update(new DataView(this.config.buffer, this.config.byteOffset, this.config.byteLength));
    this.generation = (this.generation + 1) & 0xff;
    this.interrupt(VIRTIO_PCI_ISR.CONFIG, this.configMsixVector);
  }

  readIsr(): number {
    const isr = this.isr;
    this.isr = 0;
    if (isr !== 0) this.interruptSink?.isrChanged();
    return isr;
  }

  /** Vector registers: accepted only below the MSI-X table size (and the refusal fault's limit). */
  acceptVector(vector: number): number {
    this.vectorWrites++;
    if (vector === VIRTIO_MSI_NO_VECTOR || vector >= Math.min(this.msixVectors, this.faults.refuseVectorsFrom)) return VIRTIO_MSI_NO_VECTOR;
    return this.faults.vectorReadback ?? vector;
  }

  /** queue_msix_vector: part of a queue's set-up, so not for an enabled queue on the modern interface. */
  setQueueVector(index: number, vector: number): void {
    const queue = this.queue(index);
    if (queue === undefined) return this.report(`queue_msix_vector written for nonexistent queue ${index}`);
    if (this.mode === "modern" && queue.enabled) this.report(`queue_msix_vector written for enabled queue ${index}`);
    queue.msixVector = this.acceptVector(vector);
  }

  private interrupt(isrBit: number, vector: number): void {
    this.isr |= isrBit;
    this.interruptSink?.signal(vector);
    this.interruptSink?.isrChanged();
  }

  protected dispatch(request: SimRequest): void {
    const result = this.handleRequest(request);
    if (result === PARK) this.queue(request.queue)?.parked.push(request);
    else this.complete(request, result);
  }

  private process(queue: DeviceQueue): void {
    if (this.faults.stalled || this.faults.needsReset) return;
    if (!queue.ringsLive()) return this.report(`queue ${queue.index}: rings freed while the queue is enabled`);
    this.pass(queue, () => {
      for (let n = queue.pending(this); n > 0; n--) {
        const request = queue.take(this);
        if (request === undefined) continue;
        if (this.holdCompletions) queue.held.push(request);
        else this.dispatch(request);
      }
      queue.afterProcess(this);
    });
  }

  /** Runs `work` on `queue`, then writes the used entry of any batch it completed. */
  private pass(queue: DeviceQueue, work: () => void): void {
    const outer = this.passQueue;
    this.passQueue = queue;
    try {
      work();
    } finally {
      this.passQueue = outer;
    }
    if (queue.flushUsed(this)) this.interrupt(VIRTIO_PCI_ISR.QUEUE, queue.msixVector);
  }

  private acceptFeatures(): boolean {
    if (this.mode === "legacy") {
      this.report("FEATURES_OK written on the legacy interface");
      return false;
    }
    if (this.driverFeatures & ~this.offeredFeatures) {
      this.report(`driver accepted unoffered features 0x${(this.driverFeatures & ~this.offeredFeatures).toString(16)}`);
      return false;
    }
    if (!this.negotiated(VIRTIO_F.VERSION_1)) {
      this.report("VERSION_1 not accepted on the modern interface");
      return false;
    }
    for (const [bit, needs] of Object.entries(this.featureRequires)) {
      if (this.negotiated(Number(bit)) && !needs.some((need) => this.negotiated(need))) {
        this.report(`feature ${bit} accepted without ${needs.join(" or ")}, which it requires`);
        return false;
      }
    }
    return !this.faults.refuseFeaturesOk;
  }

  private reset(): void {
    this.status = 0;
    this.driverFeatures = 0n;
    this.isr = 0;
    this.configMsixVector = VIRTIO_MSI_NO_VECTOR;
    for (const queue of [...this.queues, ...this.packedQueues]) queue.reset();
    this.onReset();
  }
}
