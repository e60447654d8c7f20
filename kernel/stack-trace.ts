/**
 * Source positions for QuickJS stacks. QuickJS frames read `    at name (bundle.js:123)` (a line,
 * no column) or `    at name (native)`; the build's line table maps bundle lines to `file.ts:line`.
 */
import { formatValue } from "./console/inspect";

const FRAME = /^\s+at .*\)$/;
const LINE_NUMBER = /^\d+$/;

/** Rewrites the frames located in `bundleFile` to source positions; other lines stay as they are. */
export function mapStack(stack: string, lookup: (bundleLine: number) => string | undefined, bundleFile: string): string {
  const marker = `(${bundleFile}:`;
  return stack
    .split("\n")
    .map((line) => {
      const at = line.lastIndexOf(marker);
      if (at < 0 || !FRAME.test(line)) return line;
      const bundleLine = line.slice(at + marker.length, -1);
      const source = LINE_NUMBER.test(bundleLine) ? lookup(Number(bundleLine)) : undefined;
      return source === undefined ? line : `${line.slice(0, at)}(${source})`;
    })
    .join("\n");
}

/**
 * The report for an uncaught exception or unhandled rejection: `Uncaught Error: boom` and the
 * (mapped) frames for errors, `Uncaught 'text'` or `Uncaught { code: 1 }` for other values.
 */
export function formatUncaught(reason: unknown, mapFrames?: (stack: string) => string): string {
  return `Uncaught ${formatValue(reason, { mapStack: mapFrames })}`;
}
