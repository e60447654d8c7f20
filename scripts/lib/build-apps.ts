// Builds bootable kernels for apps (images/<app>/main.ts):
// esbuild bundle -> QuickJS bytecode + line table -> kernel linked by boot/Makefile.
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { run } from "./exec";
import { lineTableFromSourceMap, lineTableToC } from "./line-table";
import { appDir, BUILD_DIR, IMAGES_DIR, QUICKJS_DIR, ROOT } from "./paths";

/** The name QuickJS shows in stacks; boot/js/runtime.c maps "(app.js:N)" back to TypeScript. */
const BUNDLE_NAME = "app.js";
const JOBS = "-j2";

function makeArgs(app: string): string[] {
  const dir = appDir(app);
  return [
    "-C", join(ROOT, "boot"), "--no-print-directory", JOBS, `QJS=${QUICKJS_DIR}`, `BUILD=${BUILD_DIR}`, `APP=${app}`,
    `BYTECODE=${join(dir, "app.bin")}`, `LINE_TABLE=${join(dir, "line-table.c")}`,
  ];
}

async function bundle(app: string): Promise<void> {
  const entry = join(IMAGES_DIR, app, "main.ts");
  if (!existsSync(entry)) throw new Error(`no app named "${app}" (expected ${entry})`);
  const dir = appDir(app);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, BUNDLE_NAME);
  await build({
    // The kernel prelude is evaluated before any module of the app, so globals exist at load time.
    stdin: {
      contents: `import "./kernel/prelude";\nimport ${JSON.stringify(`./${relative(ROOT, entry)}`)};\n`,
      resolveDir: ROOT,
      sourcefile: "image-entry.ts",
      loader: "ts",
    },
    outfile,
    bundle: true,
    format: "iife",
    target: "es2020",
    platform: "neutral",
    sourcemap: "external",
    sourcesContent: false,
    legalComments: "none",
    charset: "utf8",
    logLevel: "warning",
  });
  const mapPath = `${outfile}.map`;
  const table = lineTableFromSourceMap(JSON.parse(readFileSync(mapPath, "utf8")), mapPath, ROOT);
  writeFileSync(join(dir, "line-table.c"), lineTableToC(table));
}

export async function buildApps(apps: string[]): Promise<void> {
  run("make", [...makeArgs(apps[0]), "jsc"], { stdio: ["ignore", "ignore", "inherit"] });
  for (const app of apps) {
    await bundle(app);
    const dir = appDir(app);
    run(join(BUILD_DIR, "host", "jsc"), [join(dir, BUNDLE_NAME), join(dir, "app.bin"), BUNDLE_NAME]);
    run("make", [...makeArgs(app), "kernel"], { stdio: ["ignore", "ignore", "inherit"] });
  }
}
