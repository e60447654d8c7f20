// Layering is one way: runtime -> drivers -> kernel. Every static import, re-export and dynamic
// import in the source trees is resolved to a repository path and checked against the rules.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

interface Edge {
  readonly file: string;
  readonly target: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every relative module specifier in `dir`'s files, as a repository path ("drivers/virtio/blk/blk"). */
function importsUnder(dir: string): Edge[] {
  return sourceFiles(dir).flatMap((file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    return [...text.matchAll(IMPORT)]
      .map((match) => match[1] ?? match[2] ?? match[3])
      .filter((specifier) => specifier.startsWith("."))
      .map((specifier) => ({ file, target: relative(ROOT, resolve(ROOT, dirname(file), specifier)) }));
  });
}

function violations(from: string, forbidden: readonly string[]): string[] {
  return importsUnder(from)
    .filter((edge) => forbidden.some((prefix) => edge.target === prefix || edge.target.startsWith(`${prefix}/`)))
    .map((edge) => `${edge.file} imports ${edge.target}`);
}

describe("layering", () => {
  it("sees the imports it checks", () => {
    // Guards the scanner itself: a pattern that matched nothing would pass every rule.
    const targets = importsUnder("runtime/block").map((edge) => edge.target);
    expect(targets).toContain("drivers/block-driver");
    expect(targets).toContain("kernel/platform");
  });

  it("drivers import nothing from the runtime", () => {
    expect(violations("drivers", ["runtime"])).toEqual([]);
  });

  it("the kernel imports nothing from drivers or the runtime", () => {
    expect(violations("kernel", ["drivers", "runtime"])).toEqual([]);
  });

  it("the block layer and the key-value store know no virtio", () => {
    expect(violations("runtime/block", ["drivers/virtio"])).toEqual([]);
    expect(violations("runtime/kv", ["drivers/virtio"])).toEqual([]);
  });
});
