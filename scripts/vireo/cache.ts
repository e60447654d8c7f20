// Where `vireo` keeps what it builds once for every app: the QuickJS sources, the engine's and
// the kernel's native objects and the host bytecode compiler. Inside a clone of the repository
// that is the clone's own .cache/ and build/ (shared with `npm run build`); an installed package
// uses $VIREO_CACHE, else $XDG_CACHE_HOME/vireo or ~/.cache/vireo, with the objects kept per
// version and native sources so two installs never mix them. There make builds from a copy of
// boot/ kept with the objects: an install gives the package's files the time of the install,
// which would make every object look out of date.
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { QUICKJS_FOLDER } from "../lib/setup-steps";
import { BOOT_DIR, BUILD_DIR, QUICKJS_DIR, ROOT } from "../lib/paths";

export interface BuildCache {
  readonly quickjsDir: string;
  readonly buildDir: string;
  /** The native sources make builds from. */
  readonly bootDir: string;
}

const NATIVE_SOURCES = BOOT_DIR;
const BOOT_COPY = "boot";
const HASH_CHARS = 12;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A digest of the native sources (boot/), so objects built from other sources are never reused. */
export function nativeSourcesDigest(): string {
  const hash = createHash("sha256");
  for (const file of filesUnder(NATIVE_SOURCES)) hash.update(relative(NATIVE_SOURCES, file)).update("\0").update(readFileSync(file));
  return hash.digest("hex").slice(0, HASH_CHARS);
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
}

export function buildCache(env: NodeJS.ProcessEnv = process.env): BuildCache {
  const base = env.VIREO_CACHE ?? (existsSync(join(ROOT, ".git")) ? undefined : join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "vireo"));
  if (base === undefined) return { quickjsDir: QUICKJS_DIR, buildDir: BUILD_DIR, bootDir: BOOT_DIR };
  const buildDir = join(base, `build-${packageVersion()}-${nativeSourcesDigest()}`);
  return { quickjsDir: join(base, QUICKJS_FOLDER), buildDir, bootDir: join(buildDir, BOOT_COPY) };
}

/** Copies boot/ to the cache's bootDir once (its name carries the sources' digest). */
export function ensureBootCopy(cache: BuildCache): void {
  if (cache.bootDir === BOOT_DIR || existsSync(cache.bootDir)) return;
  const staging = `${cache.bootDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(BOOT_DIR, staging, { recursive: true });
  renameSync(staging, cache.bootDir);
}
