// A bootable ISO (GRUB, multiboot2) of a built app.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./exec";
import { appDir, kernelPath } from "./paths";

export function makeIso(app: string, commandLine: string, output: string): void {
  const tree = join(appDir(app), "iso");
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, "boot", "grub"), { recursive: true });
  copyFileSync(kernelPath(app), join(tree, "boot", "kernel.elf"));
  writeFileSync(
    join(tree, "boot", "grub", "grub.cfg"),
    `set timeout=0
set default=0
menuentry "Vireo ${app}" {
  multiboot2 /boot/kernel.elf ${commandLine}
  boot
}
`,
  );
  run("grub-mkrescue", ["-o", output, tree], { stdio: ["ignore", "ignore", "pipe"] });
}
