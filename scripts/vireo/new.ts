// `vireo new <dir>`: a ready app folder (scripts/vireo/template.ts) anywhere on disk.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { ROOT } from "../lib/paths";
import { UsageError } from "./errors";
import { templateFiles } from "./template";

/** npm's rules for a package name, applied to a folder's name. */
export function packageNameFor(folder: string): string {
  const name = basename(folder).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "");
  return name || "vireo-app";
}

/** The dependency on the Vireo that makes the app: this package's folder, relative to the app. */
export function defaultVireoSpec(appFolder: string): string {
  return `file:${relative(appFolder, ROOT) || "."}`;
}

/** Writes the app; returns the files written, relative to the folder. */
export function createApp(folder: string, vireo: string | undefined): string[] {
  const target = resolve(folder);
  if (existsSync(target) && readdirSync(target).length > 0) throw new UsageError(`${folder} exists and is not empty`);
  mkdirSync(target, { recursive: true });
  const files = templateFiles({ name: packageNameFor(target), vireo: vireo ?? defaultVireoSpec(target) });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(target, name), text);
  return Object.keys(files);
}
