import type { Transport } from "../transport/transport";
import { ISR_CONFIG } from "../interrupts";

/**
 * Notices device configuration changes without interrupts: one config_generation read per check
 * on interfaces that have the counter, the ISR config bit on legacy ones (reading ISR clears it,
 * which is harmless while no interrupt handler shares it). Checks are rate-limited by the clock.
 */
export class ConfigWatch {
  private generation: number;
  private readonly hasGeneration: boolean;
  private nextCheckNs = 0;

  constructor(
    private readonly transport: Transport,
    private readonly now: () => number,
    private readonly intervalNs: number,
  ) {
    this.hasGeneration = transport.kind !== "legacy" && transport.hasFeaturesOk;
    this.generation = this.hasGeneration ? transport.configGeneration() : 0;
  }

  /** True when the configuration changed since the last check that returned true. */
  changed(): boolean {
    const now = this.now();
    if (now < this.nextCheckNs) return false;
    this.nextCheckNs = now + this.intervalNs;
    if (!this.hasGeneration) return (this.transport.readIsr() & ISR_CONFIG) !== 0;
    const generation = this.transport.configGeneration();
    if (generation === this.generation) return false;
    this.generation = generation;
    return true;
  }
}
