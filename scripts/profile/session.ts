// One profiling run: boots a kernel with the profiler on (kernel command line profile.*) and an
// isa-debugcon port whose bytes go to a file, waits for the guest to write its whole profile
// (after the chosen seconds, or at exit), then names the samples and writes the report files.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KernelEntry } from "../lib/paths";
import { launch, type BootResult, type Guest } from "../lib/qemu";
import { flameGraphSvg } from "./flame-graph";
import { decodeProfile, isComplete, ProfileFormatError, type RawProfile } from "./format";
import { NativeSymbols } from "./native-symbols";
import { formatReport } from "./report";
import { BundleLines } from "./source-lines";
import { foldStacks, rankFunctions, resolveSamples, type FunctionCost } from "./stacks";

/** The port boot/core/profiler.c writes to (QEMU's isa-debugcon default). */
const PROFILE_PORT = "0xe9";
const CHARDEV_ID = "vireoprofile";
export const DEFAULT_HZ = 1000;
export const DEFAULT_SECONDS = 10;
/** Time for QEMU to start, the guest to boot and the profile to be written, beyond the recording. */
const GRACE_MS = 60_000;
const POLL_MS = 200;
const MS_PER_SECOND = 1000;

/** What was built: the image and what names its addresses and lines. */
export interface ProfileTarget {
  readonly kernel: string;
  /** The same kernel with its symbol table. */
  readonly debugElf: string;
  /** The bundle's source map. */
  readonly sourceMap: string;
  /** Source files are named relative to this folder. */
  readonly sourceRoot: string;
  readonly title: string;
}

/**
 * The target of a kernel built into `buildDir` (scripts/lib/build-apps.ts: the bundle's map and
 * the debug ELFs sit there), booted from `kernel` (the image of `entry`).
 */
export function builtTarget(buildDir: string, kernel: string, entry: KernelEntry, sourceRoot: string, title: string): ProfileTarget {
  return { kernel, debugElf: join(buildDir, entry === "pvh" ? "kernel.pvh.debug.elf" : "kernel.debug.elf"), sourceMap: join(buildDir, "app.js.map"), sourceRoot, title };
}

export interface ProfileSettings {
  readonly hz: number;
  /** Recording length; the guest may exit sooner. */
  readonly seconds: number;
  readonly bufferKib?: number;
  /** Where profile.bin, profile.folded and profile.svg go. */
  readonly outputDir: string;
  readonly append?: string;
  readonly memory?: string;
  readonly qemuArgs: readonly string[];
  readonly onOutput?: (text: string) => void;
  /** Called with the running guest (e.g. to stop it on Ctrl-C). */
  readonly onLaunch?: (guest: Guest) => void;
}

export interface ProfileResult {
  readonly profile: RawProfile;
  readonly ranked: readonly FunctionCost[];
  readonly report: readonly string[];
  readonly svgPath: string;
  readonly foldedPath: string;
  readonly guest: BootResult;
}

export class ProfileError extends Error {
  override name = "ProfileError";
}

/** QEMU option values double a literal comma. */
const qemuOptionValue = (text: string): string => text.replaceAll(",", ",,");

export function profileQemuArgs(samplesPath: string): string[] {
  return ["-chardev", `file,id=${CHARDEV_ID},path=${qemuOptionValue(samplesPath)}`, "-device", `isa-debugcon,iobase=${PROFILE_PORT},chardev=${CHARDEV_ID}`];
}

export function profileCommandLine(settings: Pick<ProfileSettings, "hz" | "seconds" | "bufferKib" | "append">): string {
  const words = [settings.append ?? "", `profile.hz=${settings.hz}`, `profile.seconds=${settings.seconds}`];
  if (settings.bufferKib !== undefined) words.push(`profile.buffer-kib=${settings.bufferKib}`);
  return words.filter(Boolean).join(" ");
}

function readIfComplete(path: string): Uint8Array | undefined {
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  return isComplete(bytes) ? bytes : undefined;
}

/** Boots the guest and returns the profile's bytes once written (the guest is stopped then). */
async function collect(target: ProfileTarget, settings: ProfileSettings, samplesPath: string): Promise<{ bytes: Uint8Array; guest: BootResult }> {
  rmSync(samplesPath, { force: true });
  const guest = launch({
    kernel: target.kernel,
    append: profileCommandLine(settings),
    memory: settings.memory,
    qemuArgs: [...settings.qemuArgs, ...profileQemuArgs(samplesPath)],
    timeoutMs: settings.seconds * MS_PER_SECOND + GRACE_MS,
    onOutput: settings.onOutput,
  });
  settings.onLaunch?.(guest);
  let ended = false;
  void guest.exited.then(() => (ended = true));
  while (!ended && readIfComplete(samplesPath) === undefined) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  const result = ended ? await guest.exited : await guest.stop();
  const bytes = readIfComplete(samplesPath);
  if (bytes === undefined) {
    const why = result.timedOut ? "the guest was stopped before it wrote its profile" : `the guest ended (status ${result.status ?? "none"}) without writing a whole profile`;
    throw new ProfileError(why);
  }
  return { bytes, guest: result };
}

/** Names the samples of `bytes` and writes profile.folded and profile.svg into `outputDir`. */
function decode(bytes: Uint8Array): RawProfile {
  try {
    return decodeProfile(bytes);
  } catch (error) {
    if (error instanceof ProfileFormatError) throw new ProfileError(`the guest's profile is malformed: ${error.message}`);
    throw error;
  }
}

export function analyseProfile(bytes: Uint8Array, target: ProfileTarget, outputDir: string): Omit<ProfileResult, "guest"> {
  const profile = decode(bytes);
  const symbols = NativeSymbols.fromElf(target.debugElf);
  const lines = BundleLines.fromSourceMap(target.sourceMap, target.sourceRoot);
  const samples = resolveSamples(profile, { native: (address) => symbols.lookup(address), position: (line) => lines.position(line) });
  const folded = foldStacks(samples);
  const ranked = rankFunctions(samples);
  const foldedPath = join(outputDir, "profile.folded");
  const svgPath = join(outputDir, "profile.svg");
  writeFileSync(foldedPath, [...folded].map(([stack, count]) => `${stack} ${count}\n`).join(""));
  writeFileSync(svgPath, flameGraphSvg(folded, { title: `${target.title}: ${profile.samples.length} samples at ${profile.hz} Hz` }));
  return { profile, ranked, report: formatReport(profile, ranked), svgPath, foldedPath };
}

export async function profileKernel(target: ProfileTarget, settings: ProfileSettings): Promise<ProfileResult> {
  mkdirSync(settings.outputDir, { recursive: true });
  const samplesPath = join(settings.outputDir, "profile.bin");
  const { bytes, guest } = await collect(target, settings, samplesPath);
  return { ...analyseProfile(bytes, target, settings.outputDir), guest };
}
