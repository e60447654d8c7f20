import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BUILD_DIR = join(ROOT, "build");
export const CACHE_DIR = join(ROOT, ".cache");
export const QUICKJS_DIR = join(CACHE_DIR, "quickjs-2021-03-27");
export const IMAGES_DIR = join(ROOT, "images");

export function appDir(app: string): string {
  return join(BUILD_DIR, "apps", app);
}

/** How a monitor enters the kernel: multiboot (pc/q35 -kernel, the ISO) or PVH (microVMs). */
export type KernelEntry = "multiboot" | "pvh";

/** The multiboot image carries the multiboot headers and the PVH note; the PVH image only the note. */
export function kernelPath(app: string, entry: KernelEntry = "multiboot"): string {
  return join(appDir(app), entry === "pvh" ? "kernel.pvh.elf" : "kernel.elf");
}
