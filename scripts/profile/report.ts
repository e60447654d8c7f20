// The profile as text: how many samples, how much idle, and the top functions by self samples.
import type { RawProfile } from "./format";
import { IDLE_LABEL, type FunctionCost } from "./stacks";

export const DEFAULT_TOP = 20;
const PERCENT = 100;
const PERCENT_DIGITS = 1;
const PERCENT_WIDTH = 6;
const NS_PER_SECOND = 1e9;
const SECONDS_DIGITS = 1;
const NS_PER_US = 1000;
const COUNT_WIDTH = 7;

function percent(part: number, whole: number): string {
  return `${whole ? ((part / whole) * PERCENT).toFixed(PERCENT_DIGITS) : "0.0"}%`.padStart(PERCENT_WIDTH);
}

/** The report's lines: a summary, then the `top` functions with self and total shares of all samples. */
export function formatReport(profile: RawProfile, ranked: readonly FunctionCost[], top = DEFAULT_TOP): string[] {
  const count = profile.samples.length;
  const idle = ranked.find((f) => f.label === IDLE_LABEL)?.self ?? 0;
  const seconds = profile.elapsedNs / NS_PER_SECOND;
  const rate = seconds > 0 ? Math.round((count + profile.dropped) / seconds) : 0;
  const perSample = count ? Math.round(profile.samplingNs / count / NS_PER_US) : 0;
  const lines = [
    `${count} samples over ${seconds.toFixed(SECONDS_DIGITS)} s of guest time (${rate} per second of ${profile.hz} asked), ${profile.dropped} dropped (buffer full); idle ${percent(idle, count).trim()}`,
    `taking them cost ${percent(profile.samplingNs, profile.elapsedNs).trim()} of guest time (${perSample} us each)`,
    `${"self".padStart(PERCENT_WIDTH)} ${"total".padStart(PERCENT_WIDTH)} ${"samples".padStart(COUNT_WIDTH)}  function`,
  ];
  for (const f of ranked.filter((r) => r.label !== IDLE_LABEL).slice(0, top)) {
    const hot = f.hotLine === undefined ? "" : `  [hottest line ${f.hotLine}]`;
    lines.push(`${percent(f.self, count)} ${percent(f.total, count)} ${String(f.self).padStart(COUNT_WIDTH)}  ${f.label}${hot}`);
  }
  if (count && ranked.length === 0) lines.push("(no stacks)");
  return lines;
}
