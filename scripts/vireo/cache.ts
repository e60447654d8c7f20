// Where `vireo` keeps what it builds once for every app: the QuickJS sources, the engine's and
// the kernel's native objects and the host bytecode compiler. Inside a clone of the repository
// that is the clone's own .cache/ and build/ (shared with `npm run build`); an installed package
// uses $VIREO_CACHE, else $XDG_CACHE_HOME/vireo or ~/.cache/vireo, with the objects kept per
// version and native sources so two installs never mix them.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { QUICKJS_FOLDER } from "../lib/setup-steps";
import { BUILD_DIR, QUICKJS_DIR, ROOT } from "../lib/paths";

export interface BuildCache {
  readonly quickjsDir: string;
  readonly buildDir: string;
}

const NATIVE_SOURCES = join(ROOT, "boot");
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
  if (base === undefined) return { quickjsDir: QUICKJS_DIR, buildDir: BUILD_DIR };
  return { quickjsDir: join(base, QUICKJS_FOLDER), buildDir: join(base, `build-${packageVersion()}-${nativeSourcesDigest()}`) };
}
