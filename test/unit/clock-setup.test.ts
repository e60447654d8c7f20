// How the kernel's clock gets its rates: kept from the native PIT or RTC calibration, else set from
// a declared source with the APIC bus declared (and checked against the TSC) or measured, else the
// boot stops naming what is missing; and the boot log's lines for each case.
import { describe, expect, it } from "vitest";
import type { Cpuid, CpuidRegisters } from "../../kernel/timers/cpuid";
import { ApicTimerError, clockReportLines, establishClock, NoClockSourceError, type ClockHardware } from "../../kernel/timers/clock-setup";
import { EXIT_NO_CLOCK, startBootClock } from "../../kernel/timers/boot-clock";

const NO_LEAVES: Cpuid = (leaf) => (leaf === 0 ? [0xd, 0, 0, 0] : [0, 0, 0, 0]);

/** KVM's range with the timing leaf: TSC 2 GHz, APIC bus 1 GHz. */
const KVM_TIMING: Cpuid = (leaf): CpuidRegisters => {
  if (leaf === 0x1) return [0, 0, 0x8000_0000, 0];
  if (leaf === 0x4000_0000) return [0x4000_0010, 0x4b4d564b, 0x564b4d56, 0x4d];
  if (leaf === 0x4000_0010) return [2_000_000, 1_000_000, 0, 0];
  return [0xd, 0, 0, 0];
};

/** The native clock as a model: what was set, and an APIC bus that measures `measuredApicBusHz`. */
function hardware(options: Partial<Pick<ClockHardware, "calibration" | "wallClockKnown" | "cpuid">> & { measuredApicBusHz?: number } = {}) {
  const state = { tscHz: 0, apicBusHz: 0, measurements: 0 };
  const model: ClockHardware = {
    calibration: options.calibration ?? "none",
    wallClockKnown: options.wallClockKnown ?? false,
    cpuid: options.cpuid ?? NO_LEAVES,
    tscHz: () => state.tscHz,
    apicBusHz: () => state.apicBusHz,
    setTscHz: (hz) => {
      state.tscHz = hz;
    },
    setApicBusHz: (hz) => {
      state.apicBusHz = hz;
    },
    measureApicBusHz: () => {
      state.measurements++;
      return state.tscHz === 0 ? 0 : (options.measuredApicBusHz ?? 0);
    },
  };
  return { model, state };
}

describe("establishClock", () => {
  it("keeps the PIT's or RTC's calibration and reports it, whatever CPUID or the command line declare (a tsc-khz= ignored is said so)", () => {
    const { model, state } = hardware({ calibration: "pit", wallClockKnown: true, cpuid: KVM_TIMING });
    state.tscHz = 2_096_023_000;
    state.apicBusHz = 1e9;
    const report = establishClock(model, undefined);
    expect(report).toEqual({ source: "pit", tscHz: 2_096_023_000, apicBusHz: 1e9, apicBusSource: "pit", wallClockKnown: true, warnings: [] });
    expect(state.measurements).toBe(0);
    expect(clockReportLines(report)).toEqual(["clock source=pit tsc-hz=2096023000 apic-bus-hz=1000000000 apic-bus-source=pit wall=rtc"]);
    const withOption = establishClock(model, "1000000");
    expect(state).toEqual({ tscHz: 2_096_023_000, apicBusHz: 1e9, measurements: 0 });
    expect(withOption.warnings).toEqual(["tsc-khz=1000000 is ignored: the clock is calibrated against the PIT"]);
  });

  it("sets a declared TSC and measures the APIC bus against it when the source declares no bus rate", () => {
    const { model, state } = hardware({ measuredApicBusHz: 999_997_500 });
    const report = establishClock(model, "1000000");
    expect(state).toEqual({ tscHz: 1e9, apicBusHz: 999_997_500, measurements: 1 });
    expect(clockReportLines(report)).toEqual([
      "clock source=command-line tsc-hz=1000000000 apic-bus-hz=999997500 apic-bus-source=measured wall=epoch",
      "clock-warning no CMOS RTC: the wall clock (Date) counts from the Unix epoch",
    ]);
  });

  it("takes the declared APIC bus when the LAPIC timer agrees with it against the declared TSC", () => {
    const { model, state } = hardware({ cpuid: KVM_TIMING, wallClockKnown: true, measuredApicBusHz: 1.05e9 });
    const report = establishClock(model, undefined);
    expect(state.apicBusHz).toBe(1e9);
    expect(report.warnings).toEqual([]);
    expect(clockReportLines(report)).toEqual(["clock source=cpuid-0x40000010 tsc-hz=2000000000 apic-bus-hz=1000000000 apic-bus-source=cpuid-0x40000010 wall=rtc"]);
  });

  it("warns when the LAPIC timer disagrees with the declared rates by more than 10%, or does not count", () => {
    // QEMU under TCG with a declared 2 GHz TSC while its TSC counts the host's 2.4 GHz: the bus seems 1.2 GHz.
    const { model } = hardware({ cpuid: KVM_TIMING, wallClockKnown: true, measuredApicBusHz: 1.2e9 });
    expect(establishClock(model, undefined).warnings).toEqual([
      "cpuid-0x40000010 declares an APIC bus of 1000000000 Hz but the LAPIC timer counts 1200000000 Hz against the declared TSC: one of the two rates is wrong",
    ]);
    const silent = hardware({ cpuid: KVM_TIMING, wallClockKnown: true, measuredApicBusHz: 0 });
    expect(establishClock(silent.model, undefined).warnings).toEqual([expect.stringContaining("the LAPIC timer counts 0 Hz")]);
    expect(silent.state.apicBusHz).toBe(1e9);
  });

  it("stops with ApicTimerError when the bus is neither declared nor measurable", () => {
    for (const measured of [0, 100, 1e11]) {
      const { model } = hardware({ measuredApicBusHz: measured });
      expect(() => establishClock(model, "2000000")).toThrow(ApicTimerError);
    }
  });

  it("stops with NoClockSourceError naming every missing source, and sets nothing", () => {
    const { model, state } = hardware();
    let error: unknown;
    try {
      establishClock(model, undefined);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NoClockSourceError);
    const missing = (error as NoClockSourceError).missing;
    expect(missing).toEqual([
      "no tsc-khz= on the command line",
      "no hypervisor leaves (CPUID.1:ECX bit 31 is clear)",
      "CPUID leaf 0x15 is beyond the highest basic leaf 0xd",
      "CPUID leaf 0x16 is beyond the highest basic leaf 0xd",
    ]);
    expect((error as Error).message).toMatch(/^no clock source: no PIT, no CMOS RTC, and no declared TSC rate \(no tsc-khz= on the command line; .*\)\. Give the machine .* or tsc-khz=<kHz> on the command line$/);
    expect(state).toEqual({ tscHz: 0, apicBusHz: 0, measurements: 0 });
  });

  it("names an RTC that keeps the date but sets no periodic flag (the native calibration gave up on it)", () => {
    const { model } = hardware({ wallClockKnown: true });
    expect(() => establishClock(model, undefined)).toThrow(/^no clock source: no PIT, a CMOS RTC that sets no periodic flag, and no declared TSC rate \(/);
  });
});

describe("startBootClock", () => {
  class Exited extends Error {
    constructor(readonly status: number) {
      super(`exit ${status}`);
    }
  }
  const output = () => {
    const written: string[] = [];
    return {
      written,
      serialWrite: (text: string) => void written.push(text),
      exit: (status: number): never => {
        throw new Exited(status);
      },
    };
  };

  it("writes the report lines to the serial console", () => {
    const out = output();
    const { model } = hardware({ wallClockKnown: true, measuredApicBusHz: 1e9 });
    startBootClock(model, "2000000", out);
    expect(out.written).toEqual(["clock source=command-line tsc-hz=2000000000 apic-bus-hz=1000000000 apic-bus-source=measured wall=rtc\n"]);
  });

  it("panics with the reason and the kernel's panic status when there is no source", () => {
    const out = output();
    expect(() => startBootClock(hardware().model, undefined, out)).toThrow(new Exited(EXIT_NO_CLOCK));
    expect(EXIT_NO_CLOCK).toBe(70);
    expect(out.written).toEqual([expect.stringMatching(/^\nKERNEL PANIC: no clock source: .*\n$/)]);
  });

  it("lets other errors through", () => {
    const out = output();
    const { model } = hardware();
    const broken: ClockHardware = { ...model, cpuid: () => { throw new RangeError("cpuid broke"); } };
    expect(() => startBootClock(broken, undefined, out)).toThrow(RangeError);
    expect(out.written).toEqual([]);
  });
});
