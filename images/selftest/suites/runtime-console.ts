/** Console output formatting, with the results Node prints. */
import { Console } from "../../../kernel/console/console";
import { format } from "../../../kernel/console/format";
import { formatValue } from "../../../kernel/console/inspect";
import { expectEqual, type TestRegistry } from "../harness";

class Point {
  constructor(readonly x: number, readonly y: number) {}
}

export function registerConsoleTests(t: TestRegistry): void {
  t.test("primitives", () => {
    expectEqual([1, -0, 1n, "s", Symbol("k"), undefined, null, NaN].map((value) => formatValue(value)), [
      "1", "-0", "1n", "'s'", "Symbol(k)", "undefined", "null", "NaN",
    ]);
  });

  t.test("objects, arrays and nesting", () => {
    expectEqual(formatValue({ a: 1, b: "x" }), "{ a: 1, b: 'x' }");
    expectEqual(formatValue({ a: { b: { c: { d: 1 } } } }), "{ a: { b: { c: [Object] } } }");
    expectEqual(formatValue([[[[1]]]]), "[ [ [ [Array] ] ] ]");
    expectEqual(formatValue([1, , 3]), "[ 1, <1 empty item>, 3 ]");
    expectEqual(formatValue(new Point(1, 2)), "Point { x: 1, y: 2 }");
    expectEqual(formatValue(Object.create(null)), "[Object: null prototype] {}");
    expectEqual(formatValue(Array.from({ length: 101 }, () => 0)).split("\n").slice(-2)[0], "  ... 1 more item");
  });

  t.test("long output breaks over lines like Node", () => {
    expectEqual(formatValue({ first: "x".repeat(30), second: "y".repeat(30) }), `{\n  first: '${"x".repeat(30)}',\n  second: '${"y".repeat(30)}'\n}`);
    expectEqual(formatValue([1, 2, 3, 4, 5, 6, 7]), "[\n  1, 2, 3, 4,\n  5, 6, 7\n]");
  });

  t.test("circular references", () => {
    const node: Record<string, unknown> = { name: "n" };
    node.self = node;
    expectEqual(formatValue(node), "<ref *1> { name: 'n', self: [Circular *1] }");
  });

  t.test("collections, binary data, dates, regexps and functions", () => {
    expectEqual(formatValue(new Map([["a", 1]])), "Map(1) { 'a' => 1 }");
    expectEqual(formatValue(new Set([1, 2])), "Set(2) { 1, 2 }");
    expectEqual(formatValue(new Uint8Array([1, 2, 3])), "Uint8Array(3) [ 1, 2, 3 ]");
    expectEqual(formatValue(new ArrayBuffer(2)), "ArrayBuffer { [Uint8Contents]: <00 00>, byteLength: 2 }");
    expectEqual(formatValue(new Date(0)), "1970-01-01T00:00:00.000Z");
    expectEqual(formatValue(/a+/g), "/a+/g");
    expectEqual(formatValue(function named() {}), "[Function: named]");
    expectEqual(formatValue(Point), "[class Point]");
  });

  t.test("printf-style format", () => {
    expectEqual(format("%s is %d years and %i days", "Bob", 42.5, 3.9), "Bob is 42.5 years and 3 days");
    expectEqual(format("%f %j %o %%", "1.5", { a: 1 }, [1]), "1.5 {\"a\":1} [ 1 ] %");
    expectEqual(format("%O", { a: "x" }), "{ a: 'x' }");
    expectEqual(format("a", "b", 1, { c: 2 }), "a b 1 { c: 2 }");
    expectEqual(format("%s"), "%s");
  });

  t.test("a Console writes lines to its sink", () => {
    let output = "";
    const console = new Console((text) => (output += text));
    console.log("hello %s", "world", [1]);
    console.error("plain");
    console.group("g");
    console.warn({ a: 1 });
    console.groupEnd();
    console.assert(false, "oops");
    expectEqual(output, "hello world [ 1 ]\nplain\ng\n  { a: 1 }\nAssertion failed: oops\n");
  });
}
