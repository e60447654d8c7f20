// Makes a fresh Debian machine ready to build and boot Vireo: Debian packages (installed when
// running as root, otherwise the exact apt-get line is printed) and the QuickJS sources, fetched
// from the npm registry and checked against a pinned integrity. Quiet when all is in place.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { capture, run } from "./lib/exec";
import { CACHE_DIR, QUICKJS_DIR } from "./lib/paths";

const DEBIAN_PACKAGES = [
  "qemu-system-x86", "qemu-utils", "musl-tools", "musl-dev", "nasm", "make", "gcc", "binutils",
  "grub-pc-bin", "grub-common", "xorriso", "mtools", "curl",
  // test/qemu/hostile-peer.test.ts: a network namespace with a tap device, and its peer program.
  "iproute2", "python3",
];
const QUICKJS_PACKAGE = "qjsc@0.3.0";
const QUICKJS_TARBALL = "qjsc-0.3.0.tgz";
const QUICKJS_INTEGRITY =
  "sha512-a7+cU6/IVcZbIejffdt/wZVMX6LL2MDL3HQ9Zb5Gm23G9DvBMS/z9GHFxz39bAvp2PvMOM+ypSOAyokt2DdZ2w==";
const QUICKJS_PATH_IN_TARBALL = "package/deps/quickjs_2021_03_27";
const QUICKJS_MARKER = "quickjs.c";

function missingPackages(): string[] {
  const output = capture("dpkg-query", ["-W", "-f=${Package} ${db:Status-Status}\\n", ...DEBIAN_PACKAGES]) ?? "";
  const installed = new Set(
    output.split("\n").filter((line) => line.endsWith(" installed")).map((line) => line.split(" ")[0]),
  );
  return DEBIAN_PACKAGES.filter((name) => !installed.has(name));
}

function ensureDebianPackages(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (process.getuid?.() !== 0) {
    console.error(`vireo: missing Debian packages. Run as root:\n  apt-get update && ${command}`);
    process.exit(1);
  }
  console.log(`vireo: installing ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
}

function integrityOf(file: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
}

function ensureQuickJs(): void {
  if (existsSync(join(QUICKJS_DIR, QUICKJS_MARKER))) return;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tarball = join(CACHE_DIR, QUICKJS_TARBALL);
  if (!existsSync(tarball) || integrityOf(tarball) !== QUICKJS_INTEGRITY) {
    console.log(`vireo: fetching QuickJS sources (${QUICKJS_PACKAGE})`);
    run("npm", ["pack", QUICKJS_PACKAGE, "--silent", "--pack-destination", CACHE_DIR], { stdio: ["ignore", "ignore", "inherit"] });
  }
  const actual = integrityOf(tarball);
  if (actual !== QUICKJS_INTEGRITY) {
    rmSync(tarball);
    throw new Error(`QuickJS tarball integrity mismatch: expected ${QUICKJS_INTEGRITY}, got ${actual}`);
  }
  const staging = `${QUICKJS_DIR}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", staging, "--strip-components=3", QUICKJS_PATH_IN_TARBALL]);
  renameSync(staging, QUICKJS_DIR);
}

ensureDebianPackages();
ensureQuickJs();
