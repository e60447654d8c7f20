// Makes a bootable ISO (GRUB, multiboot2) of a built app: images/<app>.iso.
// Usage: tsx scripts/image.ts [app] [--append "kernel command line"]
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildApps } from "./lib/build-apps";
import { run } from "./lib/exec";
import { appDir, IMAGES_DIR, kernelPath } from "./lib/paths";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { append: { type: "string", default: "" } },
});
const app = positionals[0] ?? "demo";
await buildApps([app]);

const tree = join(appDir(app), "iso");
rmSync(tree, { recursive: true, force: true });
mkdirSync(join(tree, "boot", "grub"), { recursive: true });
copyFileSync(kernelPath(app), join(tree, "boot", "kernel.elf"));
writeFileSync(
  join(tree, "boot", "grub", "grub.cfg"),
  `set timeout=0
set default=0
menuentry "Vireo ${app}" {
  multiboot2 /boot/kernel.elf ${values.append}
  boot
}
`,
);
const iso = join(IMAGES_DIR, `${app}.iso`);
run("grub-mkrescue", ["-o", iso, tree], { stdio: ["ignore", "ignore", "pipe"] });
console.log(iso);
