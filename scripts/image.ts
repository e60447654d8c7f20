// Makes a bootable ISO (GRUB, multiboot2) of an app: images/<app>.iso.
// Usage: tsx scripts/image.ts [app] [--append "kernel command line"]
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildApps } from "./lib/build-apps";
import { makeIso } from "./lib/iso";
import { appDir, IMAGES_DIR, kernelPath } from "./lib/paths";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { append: { type: "string", default: "" } },
});
const app = positionals[0] ?? "demo";
await buildApps([app]);
const iso = join(IMAGES_DIR, `${app}.iso`);
makeIso({ kernel: kernelPath(app), title: app, commandLine: values.append ?? "", output: iso, tree: join(appDir(app), "iso") });
console.log(iso);
