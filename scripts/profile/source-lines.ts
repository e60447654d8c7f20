// Bundle lines (what QuickJS's line tables give) back to TypeScript file:line, through the
// bundler's source map, as the kernel's own line table does (scripts/lib/line-table.ts).
import { readFileSync } from "node:fs";
import { lineTableFromSourceMap, type LineTable } from "../lib/line-table";

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

export class BundleLines {
  constructor(private readonly table: LineTable) {}

  /** File names are relative to `root`. */
  static fromSourceMap(mapPath: string, root: string): BundleLines {
    return new BundleLines(lineTableFromSourceMap(JSON.parse(readFileSync(mapPath, "utf8")), mapPath, root));
  }

  /** The TypeScript position of 1-based `bundleLine`, or undefined when it has none. */
  position(bundleLine: number): SourcePosition | undefined {
    const line = this.table.sourceLines[bundleLine - 1];
    if (!line) return undefined;
    let span: LineTable["spans"][number] | undefined;
    for (const candidate of this.table.spans) {
      if (candidate.bundleLine > bundleLine) break;
      span = candidate;
    }
    return span === undefined ? undefined : { file: this.table.files[span.file], line };
  }
}
