import type { Platform } from "../../../kernel/platform";
import { DeviceStatus } from "../status";
import { VirtioConfigError, VirtioStatusError } from "../errors";

export type TransportKind = "modern" | "legacy" | "mmio";
export type NotifyKind = "mem" | "io";

/** Physical addresses of a split queue's three parts. */
export interface QueueAddresses {
  readonly desc: number;
  readonly driver: number;
  readonly device: number;
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
  readonly device: string;
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
  readConfig8(offset: number): number;
  readConfig16(offset: number): number;
  readConfig32(offset: number): number;
  /** As two 32-bit accesses, low half first (the access width the spec requires). */
  readConfig64(offset: number): bigint;
  writeConfig8(offset: number, value: number): void;
  writeConfig16(offset: number, value: number): void;
  writeConfig32(offset: number, value: number): void;
  writeConfig64(offset: number, value: bigint): void;
  /** Runs `read` until config_generation is the same before and after (bounded). */
  readConfigStable<T>(read: () => T): T;
}

export const CONFIG_STABLE_ATTEMPTS = 16;
const TWO_POW_32 = 0x1_0000_0000;

/** What every transport does the same way, on top of its register accessors. */
export abstract class TransportBase {
  abstract readonly device: string;
  constructor(protected readonly platform: Platform) {}

  abstract getStatus(): number;
  abstract setStatus(status: number): void;
  abstract configGeneration(): number;
  abstract readConfig32(offset: number): number;
  abstract writeConfig32(offset: number, value: number): void;

  reset(timeoutNs: number): void {
    this.setStatus(DeviceStatus.Reset);
    const deadline = this.platform.monotonicNs() + timeoutNs;
    while (this.getStatus() !== DeviceStatus.Reset) {
      if (this.platform.monotonicNs() > deadline) {
        throw new VirtioStatusError(this.device, "reset-timeout", `status still 0x${this.getStatus().toString(16)}`);
      }
    }
  }

  readConfig64(offset: number): bigint {
    const low = this.readConfig32(offset);
    const high = this.readConfig32(offset + 4);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  writeConfig64(offset: number, value: bigint): void {
    this.writeConfig32(offset, Number(value & 0xffff_ffffn));
    this.writeConfig32(offset + 4, Number((value >> 32n) & 0xffff_ffffn));
  }

  readConfigStable<T>(read: () => T): T {
    for (let attempt = 0; attempt < CONFIG_STABLE_ATTEMPTS; attempt++) {
      const before = this.configGeneration();
      const value = read();
      if (this.configGeneration() === before) return value;
    }
    throw new VirtioConfigError(this.device, "config-unstable", `generation changed on ${CONFIG_STABLE_ATTEMPTS} reads`);
  }
}

export function splitAddress(address: number): [low: number, high: number] {
  return [address >>> 0, Math.floor(address / TWO_POW_32)];
}
