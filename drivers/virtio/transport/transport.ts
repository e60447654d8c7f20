import type { Platform } from "../../../kernel/platform";
import type { IoRegion } from "../../../kernel/pci/io-region";
import { readRegister, readRegister64, writeRegister, type Readable, type Writable } from "../register";
import { DeviceStatus } from "../status";
import { VirtioConfigError, VirtioStatusError } from "../errors";

/** Between status reads while a reset completes. */
const RESET_POLL_NS = 1_000_000;

export type TransportKind = "modern" | "legacy" | "mmio";
export type NotifyKind = "mem" | "io";

/** Physical addresses of a split queue's three parts. */
export interface QueueAddresses {
  readonly descriptorArea: number;
  readonly driverArea: number;
  readonly deviceArea: number;
}

/** How a queue's rings must be placed, as the transport dictates. */
export interface RingPlacement {
  /** Legacy: descriptors, avail and used in one area, used at the next `align` boundary. */
  readonly contiguous: boolean;
  readonly align: number;
}

/**
 * One virtio device's register interface, chosen once at probe time. Nothing above this
 * interface knows which transport it is talking to.
 */
export interface Transport {
  /** "bb:dd.f" or "mmio@0x..." — used in every error and report line. */
  readonly name: string;
  readonly kind: TransportKind;
  readonly notifyKind: NotifyKind;
  readonly deviceType: number;
  /** Feature bits the transport can carry (bits 0..31 only for legacy interfaces). */
  readonly featureMask: bigint;
  /** Modern interfaces have the FEATURES_OK handshake; legacy ones do not. */
  readonly hasFeaturesOk: boolean;
  /** Legacy PCI fixes each queue's size; the driver must use the maximum. */
  readonly queueSizeFixed: boolean;
  readonly ringPlacement: RingPlacement;

  readDeviceFeatures(): bigint;
  writeDriverFeatures(features: bigint): void;
  getStatus(): number;
  setStatus(status: number): void;
  /** Writes 0 and waits (bounded) for the device to read back 0; throws VirtioStatusError. */
  reset(timeoutNs: number): void;

  numQueues(): number;
  /** 0 means the queue does not exist. */
  queueMaxSize(index: number): number;
  /** Select, size, addresses, enable — in that order. */
  setupQueue(index: number, size: number, addresses: QueueAddresses): void;
  /** Hot path: no allocation. */
  notify(index: number): void;
  /** Reading acknowledges (clears) the ISR bits. */
  readIsr(): number;
  /** Writes an MSI-X vector and returns the device's readback (NO_VECTOR if refused). */
  setConfigVector(vector: number): number;
  setQueueVector(index: number, vector: number): number;

  configGeneration(): number;
  /** A 1-, 2- or 4-byte device configuration field, or element `index` of an array field (mac[6]). */
  readConfig(field: Readable<1 | 2 | 4>, index?: number): number;
  /** An 8-byte field as two 32-bit accesses, low half first (the access width the spec requires). */
  readConfig64(field: Readable<8>): bigint;
  writeConfig(field: Writable<1 | 2 | 4>, value: number, index?: number): void;
  /** Runs `read` until config_generation is the same before and after (bounded). */
  readConfigStable<T>(read: () => T): T;
}

export const CONFIG_STABLE_ATTEMPTS = 16;
/** configGeneration() of interfaces without the counter (legacy): always the same value. */
export const FIXED_GENERATION = 0;

/** What every transport does the same way, on top of its register accessors. */
export abstract class TransportBase {
  abstract readonly name: string;
  constructor(protected readonly platform: Platform) {}

  abstract getStatus(): number;
  abstract setStatus(status: number): void;
  abstract configGeneration(): number;
  /** The device configuration space, its first byte at offset 0. */
  protected abstract deviceConfig(): IoRegion;

  reset(timeoutNs: number): void {
    this.setStatus(DeviceStatus.Reset);
    const deadline = this.platform.monotonicNs() + timeoutNs;
    while (this.getStatus() !== DeviceStatus.Reset) {
      const now = this.platform.monotonicNs();
      if (now > deadline) {
        throw new VirtioStatusError(this.name, "reset-timeout", `status still 0x${this.getStatus().toString(16)}`);
      }
      // A device still resetting is asked again a little later, not spun on (Linux sleeps 1 ms).
      this.platform.waitForInterrupt(Math.min(deadline, now + RESET_POLL_NS));
    }
  }

  readConfig(field: Readable<1 | 2 | 4>, index = 0): number {
    return readRegister(this.deviceConfig(), field, index);
  }

  readConfig64(field: Readable<8>): bigint {
    return readRegister64(this.deviceConfig(), field);
  }

  writeConfig(field: Writable<1 | 2 | 4>, value: number, index = 0): void {
    writeRegister(this.deviceConfig(), field, value, index);
  }

  readConfigStable<T>(read: () => T): T {
    for (let attempt = 0; attempt < CONFIG_STABLE_ATTEMPTS; attempt++) {
      const before = this.configGeneration();
      const value = read();
      if (this.configGeneration() === before) return value;
    }
    throw new VirtioConfigError(this.name, "config-unstable", `generation changed on ${CONFIG_STABLE_ATTEMPTS} reads`);
  }
}
