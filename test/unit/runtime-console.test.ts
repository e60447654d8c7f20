import { format as nodeFormat, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { Console, formatDuration } from "../../kernel/console/console";
import { format } from "../../kernel/console/format";
import { formatValue } from "../../kernel/console/inspect";

class Point {
  x = 1;
  y = { z: [1, 2, { deep: { deeper: 1 } }] };
}
class Point3 extends Point {}
class Shown {
  toString() {
    return "shown";
  }
}

function circular() {
  const node: Record<string, unknown> = { name: "c", list: [1] };
  node.self = node;
  (node.list as unknown[]).push(node);
  return node;
}

function withExtraProps(): Error {
  return Object.assign(new RangeError("too far"), { code: "E_FAR", detail: { limit: 3 } });
}

const inspectCases: Record<string, unknown> = {
  "number": 1.5,
  "negative zero": -0,
  "bigint": 12n,
  "string": "str",
  "string with quote": "it's",
  "string with both quotes": "it's \"x\"",
  "control characters": "\0\x07\b\t\n\v\f\r\x1b\x7f\x85\\",
  "lone surrogate": "\ud800x",
  "symbol": Symbol("s"),
  "undefined": undefined,
  "null": null,
  "boolean": true,
  "NaN": NaN,
  "short array": [1, 2, 3],
  "grouped numbers": Array.from({ length: 30 }, (_, i) => i * 7),
  "long array": Array.from({ length: 120 }, (_, i) => i),
  "grouped strings": ["apple", "banana", "cherry", "dates", "elderberry", "fig", "grape", "honeydew"],
  "uneven strings": Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i).repeat((i % 5) + 1)),
  "plain object": { a: 1, b: "x" },
  "depth limit": { a: { b: { c: { d: 1 } } } },
  "nested arrays": [[[[1]]]],
  "circular": circular(),
  "map": new Map<unknown, unknown>([["a", 1], [{ k: 1 }, [2]]]),
  "set": new Set([1, "two", [3]]),
  "empty set": new Set(),
  "empty map": new Map(),
  "nested map": { m: new Map([[1, new Set([1])]]) },
  "Uint8Array": new Uint8Array([1, 2, 3]),
  "Float32Array": new Float32Array(10),
  "BigUint64Array": new BigUint64Array([1n, 2n ** 64n - 1n]),
  "empty typed array": new Uint8Array(0),
  "ArrayBuffer": new ArrayBuffer(3),
  "long ArrayBuffer": new ArrayBuffer(102),
  "DataView": new DataView(new ArrayBuffer(4)),
  "Date": new Date(0),
  "invalid Date": new Date(NaN),
  "RegExp": /re+\//gi,
  "named function": function named() {},
  "arrow function": () => {},
  "async function": async () => {},
  "generator": function* gen() {},
  "function with props": Object.assign(() => {}, { prop: 1 }),
  "class": Point,
  "subclass": Point3,
  "instance": new Point(),
  "subclass instance": new Point3(),
  "null prototype": Object.create(null),
  "null prototype with keys": Object.assign(Object.create(null), { a: 1 }),
  "odd keys": { "a-b": 1, [Symbol("k")]: 2, 3: "three" },
  "accessors": { get g() { return 1; }, set s(_: number) {}, get gs() { return 1; }, set gs(_: number) {} },
  "long string property": { long: "x".repeat(100) },
  "multi-line string property": { text: "line one\nline two is a little longer than the first one here\n" },
  "huge string": "y".repeat(20000),
  "holes": [1, , , 4, , 6],
  "array with keys": Object.assign([1, 2], { extra: true }),
  "mixed": { fn: function () {}, arr: [], obj: {}, nested: { list: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } },
  "many keys": Object.fromEntries(Array.from({ length: 17 }, (_, i) => [String.fromCharCode(97 + i), i])),
  "objects in array": [{ a: 1, b: 2 }, { a: 3, b: 4 }],
  "signed zeros": [-0, 0, -1.5],
  "bigints": [1n, 2n, 3n, 4n, 5n, 6n, 7n],
  "error": new Error("boom"),
  "error with props": withExtraProps(),
  "nested error": { failure: new TypeError("nested") },
};

describe("formatValue matches util.inspect", () => {
  for (const [name, value] of Object.entries(inspectCases)) {
    it(name, () => expect(formatValue(value)).toBe(inspect(value)));
  }

  it("honours depth and line width options", () => {
    const value = { a: { b: { c: { d: { e: 1 } } } }, list: ["x".repeat(30), "y".repeat(30)] };
    for (const options of [{ depth: 0 }, { depth: 4 }, { breakLength: 40 }, { breakLength: Infinity }, { maxArrayLength: 1 }]) {
      expect(formatValue(value, options)).toBe(inspect(value, options));
    }
  });

  it("maps error stacks when asked", () => {
    const error = new Error("mapped");
    error.stack = "    at f (app.js:3)\n";
    expect(formatValue({ error }, { mapStack: (stack) => stack.replace("app.js:3", "src/f.ts:9") })).toBe(
      "{\n  error: Error: mapped\n      at f (src/f.ts:9)\n}",
    );
  });
});

const formatCases: unknown[][] = [
  ["a", "b", 1], ["%s", "x"], ["%s", 1.5], ["%s", -0], ["%s", 5n], ["%s", { a: { b: { c: 1 } } }], ["%s", [1, [2, [3]]]],
  ["%s", new Shown()], ["%s", new Point()], ["%s", null], ["%s", undefined], ["%s", Symbol("y")], ["%s", new Date(0)],
  ["%d", "42"], ["%d", 5n], ["%d", Symbol()], ["%d", {}], ["%d", -0], ["%i", "42.9px"], ["%i", 3n], ["%f", "1.5e3x"],
  ["%j", { a: [1] }], ["%j", circular()], ["%j", undefined], ["%o", { a: { b: { c: { d: { e: 1 } } } } }],
  ["%O", { a: { b: { c: { d: 1 } } } }], ["%c%s", "color: red", "x"], ["100%%"], ["100%%", 1], ["%s %s", "one"],
  ["%x %s", "a", "b"], ["%", 1], ["a%"], [1, "two", { three: 3 }], [], ["%s:%s", "a", "b", "c", { d: 1 }], [{}, "%s"],
  ["%%s", "x"], ["%d%%", 50],
];

describe("format matches util.format", () => {
  for (const args of formatCases) {
    it(inspect(args, { breakLength: Infinity }), () => expect(format(...args)).toBe(nodeFormat(...args)));
  }
});

describe("Console", () => {
  function capture() {
    let output = "";
    let now = 1000;
    const console = new Console((text) => (output += text), { now: () => now });
    return { console, advance: (ms: number) => (now += ms), output: () => output };
  }

  it("prints every level plainly, strings unquoted at the top level", () => {
    const { console, output } = capture();
    console.log("hello", "world", { a: "x" });
    console.info("%d items", 3);
    console.warn("careful");
    console.error(new Map([[1, 2]]));
    console.debug();
    console.dir("quoted");
    expect(output()).toBe("hello world { a: 'x' }\n3 items\ncareful\nMap(1) { 1 => 2 }\n\n'quoted'\n");
  });

  it("asserts, counts and indents groups", () => {
    const { console, output } = capture();
    console.assert(true, "never");
    console.assert(false);
    console.assert(0, "bad %s", "thing");
    console.count();
    console.count();
    console.count("x");
    console.countReset();
    console.count();
    console.group("outer");
    console.log("a\nb");
    console.group();
    console.log({ k: 1 });
    console.groupEnd();
    console.groupEnd();
    console.groupEnd();
    console.log("end");
    expect(output()).toBe(
      "Assertion failed\nAssertion failed: bad thing\ndefault: 1\ndefault: 2\nx: 1\ndefault: 1\n" +
        "outer\n  a\n  b\n    { k: 1 }\nend\n",
    );
  });

  it("times labels", () => {
    const { console, advance, output } = capture();
    console.time();
    console.time("load");
    advance(12.5);
    console.timeLog("load", "halfway", 1);
    advance(1500.5);
    console.timeEnd("load");
    console.timeEnd("load");
    console.time();
    console.timeEnd();
    expect(output()).toBe(
      "load: 12.5ms halfway 1\nload: 1.513s\nWarning: No such label 'load' for console.timeEnd()\n" +
        "Warning: Label 'default' already exists for console.time()\ndefault: 1.513s\n",
    );
  });

  it("formats durations like Node", () => {
    expect(formatDuration(0.1234)).toBe("0.123ms");
    expect(formatDuration(999)).toBe("999ms");
    expect(formatDuration(61_250)).toBe("1:01.250 (m:ss.mmm)");
    expect(formatDuration(3_723_004)).toBe("1:02:03.004 (h:mm:ss.mmm)");
  });

  it("keeps methods bound", () => {
    const { console, output } = capture();
    const { log } = console;
    [1, 2].forEach((n) => log(n));
    expect(output()).toBe("1\n2\n");
  });
});
