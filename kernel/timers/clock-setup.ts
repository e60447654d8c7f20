/**
 * Puts the kernel's clock on a known rate before anything reads it. The native kernel calibrates
 * the TSC and the LAPIC timer against the PIT or the CMOS RTC where the machine has one; without
 * either, the rates come from what the machine declares (./declared-clock.ts): the TSC's from the
 * command line or CPUID, the APIC bus's from the same source or measured against that TSC. With
 * no source at all the boot stops with NoClockSourceError rather than run on a made-up rate.
 */
import { APIC_BUS_HZ_MAX, APIC_BUS_HZ_MIN, findDeclaredClock, TSC_KHZ_OPTION } from "./declared-clock";
import type { Cpuid } from "./cpuid";

/** The native clock primitives (boot/core/time.c), or a model of them in a unit test. */
export interface ClockHardware {
  /** What the native kernel calibrated against at boot. */
  readonly calibration: "pit" | "rtc" | "none";
  readonly wallClockKnown: boolean;
  readonly cpuid: Cpuid;
  tscHz(): number;
  apicBusHz(): number;
  setTscHz(hz: number): void;
  setApicBusHz(hz: number): void;
  /** The APIC bus measured against the TSC at its current rate; 0 if that failed. */
  measureApicBusHz(): number;
}

export interface ClockReport {
  /** "pit", "rtc", "command-line", "cpuid-0x40000010", "cpuid-0x15" or "cpuid-0x16". */
  readonly source: string;
  readonly tscHz: number;
  readonly apicBusHz: number;
  /** Where the APIC bus rate came from: the calibration, the declaring source, or "measured". */
  readonly apicBusSource: string;
  readonly wallClockKnown: boolean;
  readonly warnings: readonly string[];
}

/** Thrown when neither a reference to calibrate against nor a declared rate exists. */
export class NoClockSourceError extends Error {
  /**
   * `references`: why nothing could be calibrated against (no PIT, and no RTC or one without its
   * periodic flag); `missing`: why each declared source gave no rate.
   */
  constructor(
    readonly references: string,
    readonly missing: readonly string[],
  ) {
    super(
      `no clock source: ${references}, and no declared TSC rate (${missing.join("; ")}). ` +
        `Give the machine a PIT or an RTC, a CPU model whose CPUID declares the TSC frequency, or ${TSC_KHZ_OPTION}=<kHz> on the command line`,
    );
    this.name = "NoClockSourceError";
  }
}

/** Thrown when a declared TSC rate is known but the LAPIC timer cannot be measured against it. */
export class ApicTimerError extends Error {
  constructor(tscSource: string) {
    super(`the LAPIC timer did not count against the TSC (rate from ${tscSource}), so no deadline could be kept`);
    this.name = "ApicTimerError";
  }
}

/** A declared APIC bus rate and the one measured against the TSC may differ this much. */
export const APIC_BUS_AGREEMENT = 0.1;

function measuredApicBus(hardware: ClockHardware): number | undefined {
  const hz = hardware.measureApicBusHz();
  return hz >= APIC_BUS_HZ_MIN && hz <= APIC_BUS_HZ_MAX ? hz : undefined;
}

export function establishClock(hardware: ClockHardware, tscKhzOption: string | undefined): ClockReport {
  const wallClockKnown = hardware.wallClockKnown;
  const warnings = wallClockKnown ? [] : ["no CMOS RTC: the wall clock (Date) counts from the Unix epoch"];
  if (hardware.calibration !== "none") {
    const source = hardware.calibration;
    if (tscKhzOption !== undefined) warnings.push(`${TSC_KHZ_OPTION}=${tscKhzOption} is ignored: the clock is calibrated against the ${source.toUpperCase()}`);
    return { source, tscHz: hardware.tscHz(), apicBusHz: hardware.apicBusHz(), apicBusSource: source, wallClockKnown, warnings };
  }
  const { clock, absent } = findDeclaredClock(hardware.cpuid, tscKhzOption);
  if (clock === undefined) throw new NoClockSourceError(wallClockKnown ? "no PIT, a CMOS RTC that sets no periodic flag" : "no PIT, no CMOS RTC", absent);
  hardware.setTscHz(clock.tscHz);
  const measured = measuredApicBus(hardware);
  let apicBusHz: number;
  let apicBusSource: string;
  if (clock.apicBusHz !== undefined) {
    // Two rates from one source, checked against each other: a TSC that does not count at the
    // declared rate (an emulator's host-rate TSC) shows as an APIC bus that seems off by as much.
    if (measured === undefined || Math.abs(measured / clock.apicBusHz - 1) > APIC_BUS_AGREEMENT)
      warnings.push(
        `${clock.source} declares an APIC bus of ${clock.apicBusHz} Hz but the LAPIC timer counts ${measured ?? 0} Hz against the declared TSC: one of the two rates is wrong`,
      );
    apicBusHz = clock.apicBusHz;
    apicBusSource = clock.source;
  } else {
    if (measured === undefined) throw new ApicTimerError(clock.source);
    apicBusHz = measured;
    apicBusSource = "measured";
  }
  hardware.setApicBusHz(apicBusHz);
  return { source: clock.source, tscHz: clock.tscHz, apicBusHz, apicBusSource, wallClockKnown, warnings };
}

/** The boot log's lines: `clock source=... tsc-hz=... apic-bus-hz=...`, then any warnings. */
export function clockReportLines(report: ClockReport): string[] {
  const wall = report.wallClockKnown ? "rtc" : "epoch";
  return [
    `clock source=${report.source} tsc-hz=${Math.round(report.tscHz)} apic-bus-hz=${Math.round(report.apicBusHz)} apic-bus-source=${report.apicBusSource} wall=${wall}`,
    ...report.warnings.map((warning) => `clock-warning ${warning}`),
  ];
}
