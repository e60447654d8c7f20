/**
 * Every virtio-mmio device the machine describes: the DSDT's (which carry trigger mode and
 * polarity) first, then the command line's. A command-line word naming a window the DSDT already
 * gave is the same device told twice and is dropped; one overlapping it otherwise is a problem.
 */
import type { CommandLine } from "../command-line";
import type { Platform } from "../platform";
import { virtioMmioFromAcpi } from "./acpi";
import { virtioMmioFromCommandLine } from "./command-line";
import { overlaps, type MmioDeviceWindow, type MmioDiscoveryProblem } from "./window";

export interface MmioDiscovery {
  readonly windows: MmioDeviceWindow[];
  readonly problems: MmioDiscoveryProblem[];
}

export function discoverVirtioMmio(platform: Platform, commandLine: CommandLine): MmioDiscovery {
  const acpi = virtioMmioFromAcpi(platform);
  const words = virtioMmioFromCommandLine(commandLine);
  const windows = [...acpi.windows];
  const problems = [...acpi.problems, ...words.problems];
  for (const window of words.windows) {
    const clash = windows.find((w) => overlaps(w, window));
    if (clash === undefined) windows.push(window);
    else if (clash.base !== window.base || clash.size !== window.size)
      problems.push({ source: "command-line", text: `${window.size}@0x${window.base.toString(16)}`, reason: "overlaps a device the DSDT describes" });
  }
  return { windows, problems };
}

/** `virtio-mmio-skipped <source> <text>: <reason>` per problem, for the boot report. */
export function formatMmioProblems(problems: readonly MmioDiscoveryProblem[]): string[] {
  return problems.map((p) => `virtio-mmio-skipped ${p.source} ${p.text}: ${p.reason}`);
}

/** `mmio 0x<base> size=<n> gsi=<g> <level|edge> <active-high|active-low> source=<s>` (gsi=- when it has none). */
export function formatMmioWindow(window: MmioDeviceWindow): string {
  const irq = window.interrupt;
  const line = irq === undefined ? "gsi=-" : `gsi=${irq.gsi} ${irq.levelTriggered ? "level" : "edge"} ${irq.activeLow ? "active-low" : "active-high"}`;
  return `mmio 0x${window.base.toString(16)} size=${window.size} ${line} source=${window.source}`;
}
