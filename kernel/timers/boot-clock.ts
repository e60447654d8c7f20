/**
 * The prelude's first act: the clock on a known rate, reported in the boot log, or the machine
 * stopped with the reason when there is none (a wrong rate would silently break every deadline).
 */
import { ApicTimerError, clockReportLines, establishClock, NoClockSourceError, type ClockHardware, type ClockReport } from "./clock-setup";

/** The kernel's panic status (boot/core/cpu.h EXIT_STATUS_PANIC): the boot cannot go on. */
export const EXIT_NO_CLOCK = 70;

export interface BootClockOutput {
  serialWrite(text: string): void;
  exit(status: number): never;
}

export function startBootClock(hardware: ClockHardware, tscKhzOption: string | undefined, output: BootClockOutput): ClockReport {
  try {
    const report = establishClock(hardware, tscKhzOption);
    output.serialWrite(`${clockReportLines(report).join("\n")}\n`);
    return report;
  } catch (error) {
    if (!(error instanceof NoClockSourceError || error instanceof ApicTimerError)) throw error;
    output.serialWrite(`\nKERNEL PANIC: ${error.message}\n`);
    return output.exit(EXIT_NO_CLOCK);
  }
}
