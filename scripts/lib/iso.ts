// A bootable ISO (GRUB, multiboot2) of a built app.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./exec";

export interface IsoOptions {
  readonly kernel: string;
  /** The GRUB menu entry's name. */
  readonly title: string;
  readonly commandLine: string;
  readonly output: string;
  /** A scratch folder for the ISO's file tree (emptied first). */
  readonly tree: string;
}

export function makeIso({ kernel, title, commandLine, output, tree }: IsoOptions): void {
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, "boot", "grub"), { recursive: true });
  copyFileSync(kernel, join(tree, "boot", "kernel.elf"));
  writeFileSync(
    join(tree, "boot", "grub", "grub.cfg"),
    `set timeout=0
set default=0
menuentry "Vireo ${title}" {
  multiboot2 /boot/kernel.elf ${commandLine}
  boot
}
`,
  );
  run("grub-mkrescue", ["-o", output, tree], { stdio: ["ignore", "ignore", "pipe"] });
}
