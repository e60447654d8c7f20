import type { VirtioDevice } from "./device";
import type { VirtioRingBrokenError } from "./errors";

/**
 * A device-type driver, called by its VirtioDevice through the device's lifecycle (as Linux's
 * `struct virtio_driver`):
 * - `attach` after feature negotiation: read the configuration, bind interrupts, create queues;
 * - `ready` after DRIVER_OK: post buffers, first commands;
 * - `configChanged` when the device signalled a configuration change (interrupt or poll);
 * - `ringBroken` once when one of its queues broke (an impossible used entry); the driver fails
 *   what was in flight and may `recover()` the device, or leave it to its owner. Without the hook
 *   the device is failed;
 * - `detach` before the device is reset and its queues and DMA memory are freed: stop using them.
 * Throwing from `attach` or `ready` fails only that device. The device frees every queue, DMA
 * region and interrupt vector created through it, whatever the driver does.
 */
export interface VirtioDriver<I = unknown> {
  readonly type: number;
  readonly name: string;
  /**
   * Features the driver understands, EVENT_IDX and INDIRECT_DESC included when it wants them. The
   * ring features every driver gets (RING_PACKED, IN_ORDER) are added by the core at negotiation.
   */
  readonly features: bigint;
  /**
   * The features to accept from this offer, before FEATURES_OK; throws (failing the device) when
   * the offer is unusable, e.g. a feature offered without one it requires, which the driver must not
   * accept (spec 2.2.1). Without it, `features`.
   */
  featuresFor?(offered: bigint, deviceName: string): bigint;
  attach(device: VirtioDevice): I;
  ready?(instance: I): void;
  configChanged?(instance: I): void;
  ringBroken?(instance: I, error: VirtioRingBrokenError): void;
  detach?(instance: I): void;
}

export class VirtioDriverRegistry {
  private readonly drivers = new Map<number, VirtioDriver>();

  register<I>(driver: VirtioDriver<I>): void {
    this.drivers.set(driver.type, driver as VirtioDriver);
  }

  find(type: number): VirtioDriver | undefined {
    return this.drivers.get(type);
  }
}

/** The registry the boot code probes against. */
export const virtioDrivers = new VirtioDriverRegistry();

export function registerVirtioDriver<I>(driver: VirtioDriver<I>): void {
  virtioDrivers.register(driver);
}
