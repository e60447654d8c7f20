/** What interrupt routing needs from the machine: vectors that fired, and where to send them. */
export interface InterruptHardware {
  /** The boot CPU's local APIC ID: the destination of MSI messages and I/O APIC routes. */
  readonly localApicId: number;
  /** Device vectors are allocated from here up to LAST_DEVICE_VECTOR. */
  readonly firstDeviceVector: number;
  /** Moves the vectors that fired into `vectors` (8 words, a bit each); returns how many. */
  takeInterrupts(vectors: Uint32Array): number;
}

/** 255 is the local APIC's spurious vector. */
export const LAST_DEVICE_VECTOR = 254;
export const VECTOR_WORDS = 8;
