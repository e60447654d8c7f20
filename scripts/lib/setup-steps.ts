// What a machine needs before it can build and boot Vireo: Debian packages (installed when
// running as root, otherwise the exact apt-get line is given) and the QuickJS sources, fetched
// from the npm registry and checked against a pinned integrity. Quiet when all is in place.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { capture, run } from "./exec";

export const DEBIAN_PACKAGES = [
  "qemu-system-x86", "qemu-utils", "musl-tools", "musl-dev", "nasm", "make", "gcc", "binutils",
  "grub-pc-bin", "grub-common", "xorriso", "mtools", "curl",
  // test/qemu/hostile-peer.test.ts: a network namespace with a tap device, and its peer program.
  "iproute2", "python3",
  // test/qemu/status-page.test.ts: the demo's status page rendered in a real browser.
  "chromium",
];
const QUICKJS_PACKAGE = "qjsc@0.3.0";
const QUICKJS_TARBALL = "qjsc-0.3.0.tgz";
const QUICKJS_INTEGRITY =
  "sha512-a7+cU6/IVcZbIejffdt/wZVMX6LL2MDL3HQ9Zb5Gm23G9DvBMS/z9GHFxz39bAvp2PvMOM+ypSOAyokt2DdZ2w==";
const QUICKJS_PATH_IN_TARBALL = "package/deps/quickjs_2021_03_27";
const QUICKJS_MARKER = "quickjs.c";
/** The folder name of the QuickJS sources inside a cache folder. */
export const QUICKJS_FOLDER = "quickjs-2021-03-27";

/** A step that cannot go on, with what the user should do about it. */
export class SetupError extends Error {
  override name = "SetupError";
}

export function missingPackages(packages: readonly string[] = DEBIAN_PACKAGES): string[] {
  const output = capture("dpkg-query", ["-W", "-f=${Package} ${db:Status-Status}\\n", ...packages]) ?? "";
  const installed = new Set(
    output.split("\n").filter((line) => line.endsWith(" installed")).map((line) => line.split(" ")[0]),
  );
  return packages.filter((name) => !installed.has(name));
}

/** Installs what of `packages` is missing (as root; otherwise says which apt-get line to run). */
export function ensureDebianPackages(progress: (line: string) => void, packages: readonly string[] = DEBIAN_PACKAGES): void {
  const missing = missingPackages(packages);
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (process.getuid?.() !== 0) throw new SetupError(`missing Debian packages. Run as root:\n  apt-get update && ${command}`);
  progress(`installing ${missing.join(" ")} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
}

function integrityOf(file: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
}

/** Makes `quickjsDir` hold the QuickJS sources (the tarball is kept next to it). */
export function ensureQuickJs(quickjsDir: string, progress: (line: string) => void): void {
  if (existsSync(join(quickjsDir, QUICKJS_MARKER))) return;
  const cacheDir = dirname(quickjsDir);
  mkdirSync(cacheDir, { recursive: true });
  const tarball = join(cacheDir, QUICKJS_TARBALL);
  if (!existsSync(tarball) || integrityOf(tarball) !== QUICKJS_INTEGRITY) {
    progress(`fetching QuickJS sources (${QUICKJS_PACKAGE})`);
    run("npm", ["pack", QUICKJS_PACKAGE, "--silent", "--pack-destination", cacheDir], { stdio: ["ignore", "ignore", "inherit"] });
  }
  const actual = integrityOf(tarball);
  if (actual !== QUICKJS_INTEGRITY) {
    rmSync(tarball);
    throw new SetupError(`QuickJS tarball integrity mismatch: expected ${QUICKJS_INTEGRITY}, got ${actual}`);
  }
  const staging = `${quickjsDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", staging, "--strip-components=3", QUICKJS_PATH_IN_TARBALL]);
  renameSync(staging, quickjsDir);
}
