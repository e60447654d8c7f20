/**
 * The boot CPU's local APIC as far as drivers can see it: vectors that fired wait in a pending
 * set until the kernel takes them. MSI messages are checked against the x86 message format.
 */
import { LAST_DEVICE_VECTOR, VECTOR_WORDS } from "../../kernel/irq/hardware";
import type { ViolationLog } from "./violations";

export const SIM_LOCAL_APIC_ID = 0;
export const SIM_FIRST_DEVICE_VECTOR = 48;

const MSI_WINDOW_MASK = 0xfff0_0000;
const MSI_WINDOW = 0xfee0_0000;
const MSI_DESTINATION_SHIFT = 12;
const MSI_DESTINATION_MASK = 0xff;
const MSI_VECTOR_MASK = 0xff;
const MSI_DELIVERY_SHIFT = 8;
const MSI_DELIVERY_MASK = 0b111;
const DELIVERY_FIXED = 0;

export class SimLocalApic {
  readonly localApicId = SIM_LOCAL_APIC_ID;
  readonly firstDeviceVector = SIM_FIRST_DEVICE_VECTOR;
  /** Deliveries by vector; one still pending absorbs another (as the local APIC's IRR does). */
  readonly delivered = new Map<number, number>();
  private readonly pending = new Uint32Array(VECTOR_WORDS);

  constructor(private readonly violations: ViolationLog) {}

  get hasPending(): boolean {
    return this.pending.some((word) => word !== 0);
  }

  /** Why `vector` cannot be a device vector, or undefined when it can. */
  checkVector(vector: number): string | undefined {
    if (vector < this.firstDeviceVector || vector > LAST_DEVICE_VECTOR) {
      return `vector ${vector} outside the device range ${this.firstDeviceVector}..${LAST_DEVICE_VECTOR}`;
    }
    return undefined;
  }

  /** Why an MSI message would not reach this CPU as a device vector, or undefined when it would. */
  checkMsi(addressLow: number, addressHigh: number, data: number): string | undefined {
    if (addressHigh !== 0 || ((addressLow & MSI_WINDOW_MASK) >>> 0) !== MSI_WINDOW) {
      return `MSI address 0x${addressHigh.toString(16)}_${(addressLow >>> 0).toString(16)} outside the 0xfee00000 window`;
    }
    const destination = (addressLow >>> MSI_DESTINATION_SHIFT) & MSI_DESTINATION_MASK;
    if (destination !== this.localApicId) return `MSI destination APIC ${destination}, the CPU is ${this.localApicId}`;
    if (((data >>> MSI_DELIVERY_SHIFT) & MSI_DELIVERY_MASK) !== DELIVERY_FIXED) return `MSI data 0x${data.toString(16)} is not fixed delivery`;
    return this.checkVector(data & MSI_VECTOR_MASK);
  }

  /** An MSI write from `source`; a malformed message is recorded and goes nowhere. */
  deliverMsi(source: string, addressLow: number, addressHigh: number, data: number): void {
    const problem = this.checkMsi(addressLow, addressHigh, data);
    if (problem !== undefined) this.violations.record(source, problem);
    else this.deliver(data & MSI_VECTOR_MASK);
  }

  deliver(vector: number): void {
    const bit = 1 << (vector & 31);
    if ((this.pending[vector >>> 5] & bit) !== 0) return;
    this.pending[vector >>> 5] |= bit;
    this.delivered.set(vector, (this.delivered.get(vector) ?? 0) + 1);
  }

  take(vectors: Uint32Array): number {
    let count = 0;
    for (let i = 0; i < VECTOR_WORDS; i++) {
      vectors[i] = this.pending[i];
      this.pending[i] = 0;
      for (let bits = vectors[i]; bits !== 0; bits &= bits - 1) count++;
    }
    return count;
  }
}
