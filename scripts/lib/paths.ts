import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { QUICKJS_FOLDER } from "./setup-steps";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BUILD_DIR = join(ROOT, "build");
export const CACHE_DIR = join(ROOT, ".cache");
export const QUICKJS_DIR = join(CACHE_DIR, QUICKJS_FOLDER);
export const IMAGES_DIR = join(ROOT, "images");
/** The native sources boot/Makefile builds. */
export const BOOT_DIR = join(ROOT, "boot");

export function appDir(app: string, buildDir = BUILD_DIR): string {
  return join(buildDir, "apps", app);
}

/** How a monitor enters the kernel: multiboot (pc/q35 -kernel, the ISO) or PVH (microVMs). */
export type KernelEntry = "multiboot" | "pvh";

/** The multiboot image carries the multiboot headers and the PVH note; the PVH image only the note. */
export function kernelPath(app: string, entry: KernelEntry = "multiboot", buildDir = BUILD_DIR): string {
  return join(appDir(app, buildDir), entry === "pvh" ? "kernel.pvh.elf" : "kernel.elf");
}
