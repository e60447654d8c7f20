/**
 * CPUID as the clock code reads it: the leaves that declare frequencies, and a reader that can be
 * the real instruction (kernel/platform-native.ts) or a table in a unit test.
 */

/** eax, ebx, ecx, edx of one leaf. */
export type CpuidRegisters = readonly [eax: number, ebx: number, ecx: number, edx: number];

export type Cpuid = (leaf: number, subleaf: number) => CpuidRegisters;

export const CPUID_LEAF = {
  /** eax: the highest basic leaf. */
  VENDOR: 0x0,
  /** ecx bit 31: running under a hypervisor (the 0x4000xx00 leaves mean something). */
  FEATURES: 0x1,
  /** eax/ebx: TSC to core crystal ratio; ecx: the crystal in Hz (0 when not enumerated). */
  TSC_CRYSTAL: 0x15,
  /** eax bits 15-0: the processor's base frequency in MHz. */
  PROCESSOR_FREQUENCY: 0x16,
  /** The first hypervisor leaf: eax the highest leaf of its range, ebx-ecx-edx its signature. */
  HYPERVISOR_FIRST: 0x4000_0000,
} as const;

export const FEATURES_ECX_HYPERVISOR = 0x8000_0000;
export const PROCESSOR_FREQUENCY_MHZ_MASK = 0xffff;

/**
 * Hypervisors place their leaves in ranges of 0x100 from 0x40000000 (KVM moves to 0x40000100 when
 * it also offers Hyper-V's at 0x40000000); Linux looks this far.
 */
export const HYPERVISOR_RANGE_STEP = 0x100;
export const HYPERVISOR_RANGE_END = 0x4001_0000;
/** The timing leaf's offset in a range: eax the TSC in kHz, ebx the APIC bus in kHz. */
export const HYPERVISOR_TIMING_OFFSET = 0x10;

/**
 * Signatures whose range defines the timing leaf: VMware's interface, which QEMU/KVM offers with
 * `vmware-cpuid-freq` (and a KVM range only has that leaf then), and ACRN's.
 */
export const TIMING_LEAF_SIGNATURES: readonly string[] = ["VMwareVMware", "KVMKVMKVM\0\0\0", "ACRNACRNACRN"];

/** The 12 characters of ebx, ecx, edx, little-endian as the CPU stores them. */
export function signatureOf(ebx: number, ecx: number, edx: number): string {
  let text = "";
  for (const word of [ebx, ecx, edx]) for (let shift = 0; shift < 32; shift += 8) text += String.fromCharCode((word >>> shift) & 0xff);
  return text;
}
