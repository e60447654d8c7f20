import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const SIM = join(ROOT, "test/sim");
/** The simulator is the oracle the driver is tested against: it may not share the driver's code. */
const FORBIDDEN = ["drivers", "runtime"].map((dir) => join(ROOT, dir));
const IMPORT = /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|require\s*\(\s*["']([^"']+)["']\s*\)/g;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe("simulator independence", () => {
  it("no file under test/sim imports from drivers/ or runtime/", () => {
    const sources = files(SIM).filter((path) => /\.[cm]?[jt]s$/.test(path));
    expect(sources.length).toBeGreaterThan(0);
    const offending: string[] = [];
    for (const path of sources) {
      for (const match of readFileSync(path, "utf8").matchAll(IMPORT)) {
        const specifier = match[1] ?? match[2] ?? match[3];
        const target = specifier.startsWith(".") ? resolve(join(path, ".."), specifier) : specifier;
        if (FORBIDDEN.some((dir) => target === dir || target.startsWith(`${dir}/`)) || /^(drivers|runtime)\//.test(specifier)) {
          offending.push(`${relative(ROOT, path)}: ${specifier}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});
