// `vireo build`: a bootable kernel for an app anywhere on disk. The engine and the kernel's native
// objects come from the cache (scripts/vireo/cache.ts); a rebuild after editing TypeScript only
// bundles, compiles the bytecode and links.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { buildCompiler, buildKernel, type Progress } from "../lib/build-apps";
import { kernelPath, type KernelEntry } from "../lib/paths";
import { ensureDebianPackages, ensureQuickJs } from "../lib/setup-steps";
import { buildCache, ensureBootCopy } from "./cache";
import { UsageError, VireoError } from "./errors";

export const DEFAULT_ENTRY = "main.ts";
/** Where an app's kernels go, next to its entry file. */
export const OUTPUT_FOLDER = "build";
const HASH_CHARS = 10;
const MS_PER_S = 1000;

/** A file named on the command line (default ./main.ts), checked to exist. */
export function resolveFile(given: string | undefined, cwd = process.cwd()): string {
  const file = resolve(cwd, given ?? DEFAULT_ENTRY);
  if (!existsSync(file)) {
    const hint = given === undefined ? " (name one: vireo build path/to/main.ts; or make an app: vireo new <dir>)" : "";
    throw new UsageError(`no entry file ${given ?? `./${DEFAULT_ENTRY}`}${hint}`);
  }
  if (!statSync(file).isFile()) throw new UsageError(`${given ?? DEFAULT_ENTRY} is not a file`);
  return file;
}

/** The entry module named on the command line (default ./main.ts). */
export function resolveEntry(given: string | undefined, cwd = process.cwd()): string {
  const entry = resolveFile(given, cwd);
  if (![".ts", ".js", ".mts", ".mjs", ".tsx"].includes(extname(entry))) throw new UsageError(`${given} is not a TypeScript or JavaScript file`);
  return entry;
}

/** The make APP name of a kernel: readable, and unique per app folder and kind. */
export function kernelName(appFolder: string, kind: string): string {
  const digest = createHash("sha256").update(appFolder).digest("hex").slice(0, HASH_CHARS);
  const readable = basename(appFolder).replace(/[^A-Za-z0-9_.-]/g, "_") || "app";
  return `${readable}-${kind}-${digest}`;
}

/** Everything the build needs on this machine: Debian packages and the QuickJS sources. */
export function ensureToolchain(progress: Progress): void {
  ensureDebianPackages(progress);
  ensureQuickJs(buildCache().quickjsDir, progress);
}

export interface AppBuildOptions {
  /** The modules in the image, in order. */
  readonly entries: readonly string[];
  /** The app's folder: the output goes in its build/, stack traces name files relative to it. */
  readonly appFolder: string;
  /** Names the output: <app folder>/build/<kind>.elf. */
  readonly kind: string;
  readonly progress: Progress;
}

/** The image a board enters: `<kind>.elf` (multiboot) or, built next to it, `<kind>.pvh.elf` (PVH, microVMs). */
export function imageFor(kernel: string, entry: KernelEntry): string {
  return entry === "pvh" ? kernel.replace(/\.elf$/, ".pvh.elf") : kernel;
}

/** Builds the image (both entries) and returns the multiboot kernel's path. */
export async function buildApp({ entries, appFolder, kind, progress }: AppBuildOptions): Promise<string> {
  const started = Date.now();
  ensureToolchain(progress);
  const cache = buildCache();
  ensureBootCopy(cache);
  buildCompiler(cache.buildDir, cache.quickjsDir, cache.bootDir, progress);
  const name = kernelName(appFolder, kind);
  let built: string;
  try {
    built = await buildKernel({ name, entries, buildDir: cache.buildDir, quickjsDir: cache.quickjsDir, bootDir: cache.bootDir, sourceRoot: appFolder });
  } catch (error) {
    // esbuild has already printed its errors with file and line.
    if (error instanceof Error && "errors" in error) throw new VireoError("the app did not compile (errors above)");
    throw error;
  }
  const output = join(appFolder, OUTPUT_FOLDER, `${kind}.elf`);
  mkdirSync(dirname(output), { recursive: true });
  copyFileSync(built, output);
  copyFileSync(kernelPath(name, "pvh", cache.buildDir), imageFor(output, "pvh"));
  progress(`built ${relative(process.cwd(), output) || output} in ${((Date.now() - started) / MS_PER_S).toFixed(1)} s`);
  return output;
}
