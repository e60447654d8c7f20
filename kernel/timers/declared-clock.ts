/**
 * Clock rates a machine declares rather than lets the kernel measure: for machines with neither a
 * PIT nor a CMOS RTC to calibrate against (QEMU's microvm with pit=off,rtc=off; microVM monitors).
 * Each source is read, validated and either yields rates or says why it gave none; the first that
 * yields wins, in the order of `findDeclaredClock`.
 */
import {
  CPUID_LEAF,
  FEATURES_ECX_HYPERVISOR,
  HYPERVISOR_RANGE_END,
  HYPERVISOR_RANGE_STEP,
  HYPERVISOR_TIMING_OFFSET,
  PROCESSOR_FREQUENCY_MHZ_MASK,
  TIMING_LEAF_SIGNATURES,
  signatureOf,
  type Cpuid,
} from "./cpuid";

/** Plausible TSC rates: emulators run it at 1 GHz (QEMU -icount), parts from about 0.4 to 6 GHz. */
export const TSC_HZ_MIN = 100e6;
export const TSC_HZ_MAX = 10e9;
/** Plausible APIC bus (LAPIC timer) rates: crystals of 19.2-38.4 MHz, QEMU's 1 GHz. */
export const APIC_BUS_HZ_MIN = 1e6;
export const APIC_BUS_HZ_MAX = 10e9;

const HZ_PER_KHZ = 1000;
const HZ_PER_MHZ = 1e6;
/** The command-line word that declares the TSC rate in kHz (as Linux's tsc_early_khz). */
export const TSC_KHZ_OPTION = "tsc-khz";

export interface DeclaredClock {
  /** Where the rates came from, as the boot report names it: "cpuid-0x40000010", "command-line"... */
  readonly source: string;
  readonly tscHz: number;
  /** The APIC bus rate, when the same source declares it. */
  readonly apicBusHz?: number;
}

/** A source's rates, or why it has none (a sentence for the boot report). */
export type Probe = { readonly clock: DeclaredClock } | { readonly absent: string };

export interface DeclaredClockSearch {
  readonly clock?: DeclaredClock;
  /** Why each source tried before the one found (all of them, when none was) gave nothing. */
  readonly absent: readonly string[];
}

const hex = (value: number): string => `0x${value.toString(16)}`;
const formatHz = (hz: number): string => (hz >= HZ_PER_MHZ ? `${hz / HZ_PER_MHZ} MHz` : `${hz} Hz`);

function tscOutOfRange(source: string, tscHz: number): string | undefined {
  if (Number.isFinite(tscHz) && tscHz >= TSC_HZ_MIN && tscHz <= TSC_HZ_MAX) return undefined;
  return `${source} declares a TSC of ${formatHz(tscHz)}, outside ${formatHz(TSC_HZ_MIN)} to ${formatHz(TSC_HZ_MAX)}`;
}

/** The APIC bus rate if plausible; a rate out of range is dropped (the kernel then measures it). */
function plausibleApicBus(hz: number): number | undefined {
  return hz >= APIC_BUS_HZ_MIN && hz <= APIC_BUS_HZ_MAX ? hz : undefined;
}

function declared(source: string, tscHz: number, apicBusHz?: number): Probe {
  const wrong = tscOutOfRange(source, tscHz);
  if (wrong !== undefined) return { absent: wrong };
  const apic = apicBusHz === undefined ? undefined : plausibleApicBus(apicBusHz);
  return { clock: apic === undefined ? { source, tscHz } : { source, tscHz, apicBusHz: apic } };
}

/** `tsc-khz=<decimal kHz>` on the kernel command line: the operator's word, first in line. */
export function commandLineClock(value: string | undefined): Probe {
  if (value === undefined) return { absent: `no ${TSC_KHZ_OPTION}= on the command line` };
  if (!/^\d{1,10}$/.test(value)) return { absent: `${TSC_KHZ_OPTION}=${value} is not a decimal number of kHz` };
  return declared("command-line", Number(value) * HZ_PER_KHZ);
}

/**
 * The hypervisor timing leaf (base + 0x10: eax TSC kHz, ebx APIC bus kHz) of the first range, from
 * 0x40000000 in steps of 0x100, whose signature defines it and whose highest leaf reaches it. A
 * range's highest leaf must lie inside the range: outside any hypervisor's range a CPU answers
 * with its highest basic leaf's data, which would otherwise read as a (wrong) frequency.
 */
export function hypervisorClock(cpuid: Cpuid): Probe {
  if ((cpuid(CPUID_LEAF.FEATURES, 0)[2] & FEATURES_ECX_HYPERVISOR) === 0) return { absent: "no hypervisor leaves (CPUID.1:ECX bit 31 is clear)" };
  const seen: string[] = [];
  for (let base = CPUID_LEAF.HYPERVISOR_FIRST; base < HYPERVISOR_RANGE_END; base += HYPERVISOR_RANGE_STEP) {
    const [highest, ebx, ecx, edx] = cpuid(base, 0);
    if (highest < base || highest >= base + HYPERVISOR_RANGE_STEP) continue;
    const signature = signatureOf(ebx, ecx, edx);
    const timingLeaf = base + HYPERVISOR_TIMING_OFFSET;
    seen.push(`${JSON.stringify(signature)} at ${hex(base)} (leaves to ${hex(highest)})`);
    if (!TIMING_LEAF_SIGNATURES.includes(signature) || highest < timingLeaf) continue;
    const [tscKhz, apicKhz] = cpuid(timingLeaf, 0);
    return declared(`cpuid-${hex(timingLeaf)}`, tscKhz * HZ_PER_KHZ, apicKhz * HZ_PER_KHZ);
  }
  if (seen.length === 0) return { absent: "no hypervisor range from 0x40000000 to 0x4000ff00 answers" };
  return { absent: `no hypervisor timing leaf: ${seen.join(", ")}` };
}

/**
 * Leaf 0x15: TSC = crystal * ebx / eax. Where the crystal is enumerated it also drives the LAPIC
 * timer (as Linux assumes on these parts); without it, leaf 0x16's base frequency is the TSC's.
 */
export function crystalClock(cpuid: Cpuid, highestBasicLeaf: number): Probe {
  if (highestBasicLeaf < CPUID_LEAF.TSC_CRYSTAL) return { absent: `CPUID leaf 0x15 is beyond the highest basic leaf ${hex(highestBasicLeaf)}` };
  const [denominator, numerator, crystalHz] = cpuid(CPUID_LEAF.TSC_CRYSTAL, 0);
  if (denominator === 0 || numerator === 0) return { absent: "CPUID leaf 0x15 enumerates no TSC/crystal ratio" };
  if (crystalHz === 0) return { absent: `CPUID leaf 0x15 gives the ratio ${numerator}/${denominator} but not the crystal frequency` };
  return declared("cpuid-0x15", (crystalHz * numerator) / denominator, crystalHz);
}

/** Leaf 0x16 eax: the processor's base frequency in MHz, the rate an invariant TSC counts at. */
export function processorFrequencyClock(cpuid: Cpuid, highestBasicLeaf: number): Probe {
  if (highestBasicLeaf < CPUID_LEAF.PROCESSOR_FREQUENCY) return { absent: `CPUID leaf 0x16 is beyond the highest basic leaf ${hex(highestBasicLeaf)}` };
  const baseMhz = cpuid(CPUID_LEAF.PROCESSOR_FREQUENCY, 0)[0] & PROCESSOR_FREQUENCY_MHZ_MASK;
  if (baseMhz === 0) return { absent: "CPUID leaf 0x16 gives no base frequency" };
  return declared("cpuid-0x16", baseMhz * HZ_PER_MHZ);
}

/**
 * The first source with plausible rates, in this order: the command line (the operator knows
 * best), the hypervisor timing leaf (the rate the monitor set for this guest, which may differ
 * from the host part's), CPUID leaf 0x15 with its crystal, then leaf 0x16.
 */
export function findDeclaredClock(cpuid: Cpuid, tscKhzOption: string | undefined): DeclaredClockSearch {
  const highestBasicLeaf = cpuid(CPUID_LEAF.VENDOR, 0)[0];
  const probes: (() => Probe)[] = [
    () => commandLineClock(tscKhzOption),
    () => hypervisorClock(cpuid),
    () => crystalClock(cpuid, highestBasicLeaf),
    () => processorFrequencyClock(cpuid, highestBasicLeaf),
  ];
  const absent: string[] = [];
  for (const probe of probes) {
    const result = probe();
    if ("clock" in result) return { clock: result.clock, absent };
    absent.push(result.absent);
  }
  return { absent };
}
