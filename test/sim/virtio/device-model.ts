import { DeviceStatus } from "../../../drivers/virtio/status";
import { FeatureBit, LEGACY_FEATURE_MASK, feature, hasFeature } from "../../../drivers/virtio/features";
import { NO_VECTOR } from "../../../drivers/virtio/interrupts";
import type { SimMemory } from "../memory";
import type { ViolationLog } from "../violations";
import { defaultFaults } from "./faults";
import { SimQueue } from "./queue";
import type { QueueEnv } from "./queue";
import type { SimRequest } from "./request";

/** Where a device's interrupts go: its transport's MSI-X or INTx (see pci-interrupts.ts). */
export interface InterruptSink {
  /** An event for the MSI-X vector register value `vector`. */
  signal(vector: number): void;
  /** The ISR changed; INTx follows it. */
  isrChanged(): void;
}

export const ISR_QUEUE = 1;
export const ISR_CONFIG = 2;

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
  readonly configSize: number;
  /** Offer EVENT_IDX / INDIRECT_DESC (default true). */
  readonly eventIdx?: boolean;
  readonly indirect?: boolean;
}

/**
 * Transport-independent state of a virtio device: status, features, queues, device config.
 * Transport adapters (PCI modern, PCI legacy, mmio) translate register accesses into calls here;
 * device models override `handleRequest`. Records every driver spec violation it sees.
 */
export abstract class VirtioDeviceModel implements QueueEnv {
  abstract readonly deviceType: number;
  readonly faults = defaultFaults();
  readonly queues: SimQueue[];
  readonly config: Uint8Array;
  readonly memory: SimMemory;
  readonly offeredFeatures: bigint;
  driverFeatures = 0n;
  generation = 0;
  isr = 0;
  configMsixVector = NO_VECTOR;
  /** MSI-X table size; 0 means vectors are refused. */
  msixVectors = 0;
  /** Hold every request in `queue.held` until `releaseHeld`. */
  holdCompletions = false;
  /** Set by the transport that carries the device's interrupts; none (mmio) means they go nowhere. */
  interruptSink: InterruptSink | undefined;
  /** Which interface the driver is using (transitional devices offer both). */
  mode: InterfaceMode = "modern";
  name = "virtio";
  private status = 0;
  private resetStuck = false;
  private readonly violations: ViolationLog;

  constructor(options: DeviceModelOptions) {
    this.memory = options.memory;
    this.violations = options.violations;
    this.queues = options.queueSizes.map((size, i) => new SimQueue(i, size));
    this.config = new Uint8Array(options.configSize);
    this.offeredFeatures =
      options.features |
      feature(FeatureBit.Version1) |
      (options.eventIdx === false ? 0n : feature(FeatureBit.EventIdx)) |
      (options.indirect === false ? 0n : feature(FeatureBit.IndirectDesc));
  }

  get eventIdx(): boolean {
    return hasFeature(this.driverFeatures, FeatureBit.EventIdx);
  }
  get indirect(): boolean {
    return hasFeature(this.driverFeatures, FeatureBit.IndirectDesc);
  }
  get driverOk(): boolean {
    return (this.status & DeviceStatus.DriverOk) !== 0;
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
    return this.resetStuck ? DeviceStatus.NeedsReset : this.status;
  }

  writeStatus(value: number): void {
    if (value === 0) {
      this.reset();
      this.resetStuck = this.faults.resetNeverCompletes;
      return;
    }
    const old = this.status;
    if ((value & old) !== old) this.report(`status 0x${value.toString(16)} clears bits of 0x${old.toString(16)} without reset`);
    const added = value & ~old;
    if (added & DeviceStatus.Driver && !(value & DeviceStatus.Acknowledge)) this.report("DRIVER set without ACKNOWLEDGE");
    if (added & DeviceStatus.FeaturesOk && !this.acceptFeatures()) value &= ~DeviceStatus.FeaturesOk;
    if (added & DeviceStatus.DriverOk && this.mode === "modern" && !(value & DeviceStatus.FeaturesOk)) {
      this.report("DRIVER_OK without FEATURES_OK");
    }
    this.status = value;
  }

  deviceFeatures(): bigint {
    return this.mode === "legacy" ? this.offeredFeatures & LEGACY_FEATURE_MASK : this.offeredFeatures;
  }

  setDriverFeatures(value: bigint): void {
    if (this.status & DeviceStatus.FeaturesOk) this.report("driver features written after FEATURES_OK");
    if (this.status & DeviceStatus.DriverOk) this.report("driver features written after DRIVER_OK");
    this.driverFeatures = value;
  }

  queueMaxSize(index: number): number {
    const queue = this.queues[index];
    if (queue === undefined) return 0;
    return this.faults.queueMaxSizes?.[index] ?? queue.maxSize;
  }

  /** Reports queue set-up after DRIVER_OK; returns whether the write may proceed. */
  queueSetupAllowed(what: string): boolean {
    if (!this.driverOk) return true;
    this.report(`${what} written after DRIVER_OK`);
    return false;
  }

  notify(index: number): void {
    const queue = this.queues[index];
    if (!this.driverOk) return this.report(`notify of queue ${index} before DRIVER_OK`);
    if (queue === undefined) return this.report(`notify of nonexistent queue ${index}`);
    if (!queue.enabled) return this.report(`notify of disabled queue ${index}`);
    queue.notifications++;
    this.process(queue);
  }

  /** Completes `queue.held` requests, in `order` (indices into held) or first-in first-out. */
  releaseHeld(index: number, order?: readonly number[]): void {
    const queue = this.queues[index];
    const held = queue.held.splice(0, queue.held.length);
    for (const i of order ?? held.map((_, j) => j)) this.dispatch(held[i]);
  }

  /** Writes the used element for `request` (applying used-ring faults). */
  complete(request: SimRequest, length: number): void {
    const queue = this.queues[request.queue];
    const id = this.faults.usedId === "out-of-range" ? queue.size + request.head : request.head;
    const len = length + this.faults.usedLengthExtra;
    let wanted = queue.pushUsed(this, id, len);
    if (this.faults.usedId === "repeat") wanted = queue.pushUsed(this, id, len) || wanted;
    if (wanted) this.interrupt(ISR_QUEUE, queue.msixVector);
  }

  readConfig(offset: number, width: number): number {
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

  writeConfig(offset: number, width: number, value: number): void {
    if (!this.writeDeviceConfig(offset, width, value)) this.report(`write to read-only device config at ${offset}`);
  }

  /** A device-side config change: new generation and the config-change ISR bit. */
  changeConfig(update: (view: DataView) => void): void {
    update(new DataView(this.config.buffer, this.config.byteOffset, this.config.byteLength));
    this.generation = (this.generation + 1) & 0xff;
    this.interrupt(ISR_CONFIG, this.configMsixVector);
  }

  readIsr(): number {
    const isr = this.isr;
    this.isr = 0;
    if (isr !== 0) this.interruptSink?.isrChanged();
    return isr;
  }

  /** Vector registers: accepted only below the MSI-X table size (and the refusal fault's limit). */
  acceptVector(vector: number): number {
    if (vector === NO_VECTOR || vector >= Math.min(this.msixVectors, this.faults.refuseVectorsFrom)) return NO_VECTOR;
    return this.faults.vectorReadback ?? vector;
  }

  /** queue_msix_vector: part of a queue's set-up, so not for an enabled queue on the modern interface. */
  setQueueVector(index: number, vector: number): void {
    const queue = this.queues[index];
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
    if (result === PARK) this.queues[request.queue].parked.push(request);
    else this.complete(request, result);
  }

  private process(queue: SimQueue): void {
    for (let n = queue.pending(this); n > 0; n--) {
      const request = queue.take(this);
      if (request === undefined) continue;
      if (this.holdCompletions) queue.held.push(request);
      else this.dispatch(request);
    }
    if (this.eventIdx) queue.setAvailEvent(queue.lastAvail);
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
    if (!hasFeature(this.driverFeatures, FeatureBit.Version1)) {
      this.report("VERSION_1 not accepted on the modern interface");
      return false;
    }
    return !this.faults.refuseFeaturesOk;
  }

  private reset(): void {
    this.status = 0;
    this.driverFeatures = 0n;
    this.isr = 0;
    this.configMsixVector = NO_VECTOR;
    for (const queue of this.queues) queue.reset();
    this.onReset();
  }
}
