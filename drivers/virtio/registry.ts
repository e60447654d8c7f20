import type { VirtioDevice } from "./device";

/**
 * A device-type driver. `attach` runs after feature negotiation (read config, create queues);
 * `ready` runs after DRIVER_OK (post buffers). Throwing from either fails only that device.
 */
export interface VirtioDriver<I = unknown> {
  readonly type: number;
  readonly name: string;
  /** Features the driver understands; transport features (EVENT_IDX, INDIRECT_DESC) included. */
  readonly features: bigint;
  attach(device: VirtioDevice): I;
  ready?(instance: I): void;
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
