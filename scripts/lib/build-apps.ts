// Builds bootable kernels: esbuild bundle -> QuickJS bytecode + line table -> kernel linked by
// boot/Makefile. Apps of this repository live at images/<app>/main.ts; an app anywhere on disk
// goes through buildKernel with its own entry files and a build folder of its choosing.
import { build, type Plugin } from "esbuild";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "./exec";
import { lineTableFromSourceMap, lineTableToC } from "./line-table";
import { lzCompress } from "./lz-compress";
import { appDir, BOOT_DIR, BUILD_DIR, IMAGES_DIR, kernelPath, QUICKJS_DIR, ROOT } from "./paths";

/** The name QuickJS shows in stacks; boot/js/runtime.c maps "(app.js:N)" back to TypeScript. */
const BUNDLE_NAME = "app.js";
/** The engine's bytecode, and the same compressed: the form the image carries. */
const BYTECODE_NAME = "app.bin";
const PACKED_BYTECODE_NAME = "app.lz";
const JOBS = "-j2";
const PACKAGE_NAME = "vireo";

export interface KernelBuild {
  /** The make APP name: the kernel is <buildDir>/apps/<name>/kernel.elf. */
  readonly name: string;
  /** Modules evaluated in order after the kernel prelude (absolute paths). */
  readonly entries: readonly string[];
  /** Native objects, the host compiler and per-app outputs. */
  readonly buildDir: string;
  readonly quickjsDir: string;
  /** The native sources make builds from (boot/, or a copy of it: see scripts/vireo/cache.ts). */
  readonly bootDir: string;
  /** Source file names in stack traces are relative to this folder. */
  readonly sourceRoot: string;
}

function makeArgs(target: KernelBuild): string[] {
  const dir = appDir(target.name, target.buildDir);
  return [
    "-C", target.bootDir, "--no-print-directory", JOBS, `QJS=${target.quickjsDir}`, `BUILD=${target.buildDir}`, `APP=${target.name}`,
    `BYTECODE=${join(dir, PACKED_BYTECODE_NAME)}`, `LINE_TABLE=${join(dir, "line-table.c")}`,
  ];
}

/**
 * Imports of "vireo" and "vireo/..." resolve to this copy of the package whichever copy the app's
 * folder has: the kernel prelude must exist once in an image.
 */
const thisPackage: Plugin = {
  name: "this-vireo",
  setup(builder) {
    builder.onResolve({ filter: new RegExp(`^${PACKAGE_NAME}(/|$)`) }, (args) =>
      args.pluginData === thisPackage ? undefined : builder.resolve(args.path, { kind: args.kind, resolveDir: ROOT, pluginData: thisPackage }),
    );
  },
};

async function bundle(target: KernelBuild): Promise<void> {
  for (const entry of target.entries) if (!existsSync(entry)) throw new Error(`no such file: ${entry}`);
  const dir = appDir(target.name, target.buildDir);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, BUNDLE_NAME);
  const imports = [join(ROOT, "kernel", "prelude.ts"), ...target.entries].map((file) => `import ${JSON.stringify(file)};`);
  await build({
    // The kernel prelude is evaluated before any module of the app, so globals exist at load time.
    stdin: { contents: `${imports.join("\n")}\n`, resolveDir: dirname(target.entries[0] ?? ROOT), sourcefile: "image-entry.ts", loader: "ts" },
    outfile,
    bundle: true,
    // One ES module with no imports left; boot/tools/jsc.c says why not a script.
    format: "esm",
    target: "es2020",
    platform: "neutral",
    plugins: [thisPackage],
    sourcemap: "external",
    sourcesContent: false,
    legalComments: "none",
    charset: "utf8",
    logLevel: "warning",
  });
  const mapPath = `${outfile}.map`;
  const table = lineTableFromSourceMap(JSON.parse(readFileSync(mapPath, "utf8")), mapPath, target.sourceRoot);
  writeFileSync(join(dir, "line-table.c"), lineTableToC(table));
}

/** Says what a long step is doing. */
export type Progress = (line: string) => void;

const consoleProgress: Progress = (line) => console.log(`vireo: ${line}`);

/**
 * The host QuickJS compiler the bytecode step uses (built once per build folder); the first
 * build of a folder also compiles the engine and the kernel's native objects, which `progress` announces.
 */
export function buildCompiler(buildDir: string, quickjsDir: string, bootDir: string, progress: Progress): void {
  if (!existsSync(join(buildDir, "host", "jsc"))) progress("building the engine and the kernel's native objects (first build only; a minute or two)");
  run("make", [...makeArgs({ name: "jsc", entries: [], buildDir, quickjsDir, bootDir, sourceRoot: ROOT }), "jsc"], { stdio: ["ignore", "ignore", "inherit"] });
}

/** Builds one kernel (the compiler must exist: buildCompiler) and returns its path. */
export async function buildKernel(target: KernelBuild): Promise<string> {
  await bundle(target);
  const dir = appDir(target.name, target.buildDir);
  run(join(target.buildDir, "host", "jsc"), [join(dir, BUNDLE_NAME), join(dir, BYTECODE_NAME), BUNDLE_NAME]);
  writeFileSync(join(dir, PACKED_BYTECODE_NAME), lzCompress(readFileSync(join(dir, BYTECODE_NAME))));
  run("make", [...makeArgs(target), "kernel"], { stdio: ["ignore", "ignore", "inherit"] });
  return kernelPath(target.name, "multiboot", target.buildDir);
}

export async function buildApps(apps: string[]): Promise<void> {
  buildCompiler(BUILD_DIR, QUICKJS_DIR, BOOT_DIR, consoleProgress);
  for (const app of apps) {
    const entry = join(IMAGES_DIR, app, "main.ts");
    if (!existsSync(entry)) throw new Error(`no app named "${app}" (expected ${entry})`);
    await buildKernel({ name: app, entries: [entry], buildDir: BUILD_DIR, quickjsDir: QUICKJS_DIR, bootDir: BOOT_DIR, sourceRoot: ROOT });
  }
}
