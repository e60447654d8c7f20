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

export function kernelPath(app: string): string {
  return join(appDir(app), "kernel.elf");
}
