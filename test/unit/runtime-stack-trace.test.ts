import { describe, expect, it } from "vitest";
import { formatUncaught, mapStack } from "../../kernel/stack-trace";

const table: Record<number, string> = { 123: "kernel/main.ts:12", 45: "images/demo/app.ts:3" };
const lookup = (line: number) => table[line];

/** An error carrying a QuickJS-style stack: frames only, ending with a newline. */
function quickJsError(message: string, frames: string[], ErrorType: ErrorConstructor = Error): Error {
  const error = new ErrorType(message);
  Object.defineProperty(error, "stack", { value: frames.map((frame) => `    at ${frame}\n`).join(""), configurable: true });
  return error;
}

describe("mapStack", () => {
  it("rewrites bundle frames and leaves native, foreign and unknown frames alone", () => {
    const stack = [
      "    at main (app.js:123)",
      "    at <anonymous> (app.js:45)",
      "    at <eval> (app.js:7)",
      "    at forEach (native)",
      "    at other (lib.js:123)",
      "    at weird (app.js:12x)",
      "",
    ].join("\n");
    expect(mapStack(stack, lookup, "app.js")).toBe(
      [
        "    at main (kernel/main.ts:12)",
        "    at <anonymous> (images/demo/app.ts:3)",
        "    at <eval> (app.js:7)",
        "    at forEach (native)",
        "    at other (lib.js:123)",
        "    at weird (app.js:12x)",
        "",
      ].join("\n"),
    );
  });

  it("uses the given bundle name and keeps headlines that look like frames", () => {
    expect(mapStack("Error: (app.js:123)\n    at f (vireo.js:123)", lookup, "vireo.js")).toBe(
      "Error: (app.js:123)\n    at f (kernel/main.ts:12)",
    );
  });
});

describe("formatUncaught", () => {
  const mapFrames = (stack: string) => mapStack(stack, lookup, "app.js");

  it("prints the headline and mapped frames of QuickJS errors", () => {
    const error = quickJsError("boom", ["main (app.js:123)", "<eval> (app.js:9)"]);
    expect(formatUncaught(error, mapFrames)).toBe(
      "Uncaught Error: boom\n    at main (kernel/main.ts:12)\n    at <eval> (app.js:9)",
    );
  });

  it("names error subclasses and shows extra properties", () => {
    const error = Object.assign(quickJsError("bad", ["f (app.js:45)"], TypeError), { code: "E_BAD" });
    expect(formatUncaught(error, mapFrames)).toBe(
      "Uncaught TypeError: bad\n    at f (images/demo/app.ts:3) {\n  code: 'E_BAD'\n}",
    );
  });

  it("brackets errors without frames and keeps V8 stacks as they are", () => {
    expect(formatUncaught(quickJsError("lost", []))).toBe("Uncaught [Error: lost]");
    const v8 = new Error("node");
    expect(formatUncaught(v8)).toBe(`Uncaught ${v8.stack}`);
  });

  it("inspects non-error values like Node", () => {
    expect(formatUncaught("string value")).toBe("Uncaught 'string value'");
    expect(formatUncaught(42)).toBe("Uncaught 42");
    expect(formatUncaught(undefined)).toBe("Uncaught undefined");
    expect(formatUncaught({ code: 1 })).toBe("Uncaught { code: 1 }");
  });
});
