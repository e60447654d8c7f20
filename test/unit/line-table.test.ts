// The kernel's line table: what scripts/lib/line-table.ts generates, read back by the decoder the
// kernel runs (boot/js/linemap.c, built for the host with a small harness).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LINE_CHECKPOINT_EVERY, lineTableToC, packSourceLines, type LineTable } from "../../scripts/lib/line-table";

const ROOT = join(__dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "vireo-linemap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every bundle line's position as the kernel's decoder gives it ("file:line" or "-"). */
function positions(table: LineTable): string[] {
  const source = join(dir, "table.c");
  const cli = join(dir, "linemap-cli");
  writeFileSync(source, lineTableToC(table));
  execFileSync("gcc", ["-O2", "-Wall", "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", `-I${join(ROOT, "boot/js")}`, "-o", cli, join(ROOT, "test/native/linemap-cli.c"), join(ROOT, "boot/js/linemap.c"), source]);
  return execFileSync(cli, { encoding: "utf8" }).trimEnd().split("\n");
}

function expected(table: LineTable): string[] {
  return [
    ...table.sourceLines.map((line, index) => {
      if (line === 0) return "-";
      const span = table.spans.filter((s) => s.bundleLine <= index + 1).pop();
      return span === undefined ? "-" : `${table.files[span.file]}:${line}`;
    }),
    "-",
  ];
}

describe("line table", () => {
  it("gives every bundle line its source line through small steps, jumps, gaps and the u16 limit", () => {
    const sourceLines: number[] = [];
    let state = 12345;
    let line = 1;
    for (let i = 0; i < 5 * LINE_CHECKPOINT_EVERY + 17; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const pick = state % 10;
      if (pick === 0) sourceLines.push(0);
      else if (pick === 1) sourceLines.push((line = 1 + (state % 0xffff)));
      else if (pick === 2) sourceLines.push((line = Math.max(1, line - 126)));
      else if (pick === 3) sourceLines.push((line = Math.min(0xffff, line + 127)));
      else sourceLines.push((line = Math.min(0xffff, line + (pick % 3))));
    }
    sourceLines[100] = 0xffff;
    sourceLines[101] = 1;
    const table: LineTable = {
      files: ["kernel/a.ts", "drivers/b.ts", "runtime/c.ts"],
      sourceLines,
      spans: [
        { bundleLine: 1, file: 0 },
        { bundleLine: 70, file: 1 },
        { bundleLine: 200, file: 2 },
      ],
    };
    expect(positions(table)).toEqual(expected(table));
  });

  it("takes a byte for each line a step of up to 126 from the line before", () => {
    const lines = Array.from({ length: 1000 }, (_, i) => 1 + i * 3);
    const packed = packSourceLines(lines);
    expect(packed.bytes.length).toBe(1000);
    expect(packed.checkpoints.length).toBe(Math.ceil(1000 / LINE_CHECKPOINT_EVERY));
  });

  it("builds for a bundle with no lines", () => {
    const table: LineTable = { files: [], sourceLines: [], spans: [] };
    expect(positions(table)).toEqual(["-"]);
  });
});
