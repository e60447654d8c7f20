/** JSON.parse and JSON.stringify edge cases. */
import { expectEqual, expectThrows, expectTrue, type TestRegistry } from "../harness";

export function registerJsonTests(t: TestRegistry): void {
  t.test("stringify values, holes and non-JSON values", () => {
    expectEqual(JSON.stringify({ a: [1, "x", null, true] }), '{"a":[1,"x",null,true]}');
    expectEqual(JSON.stringify({ u: undefined, f() {}, s: Symbol("s"), n: NaN, i: -Infinity }), '{"n":null,"i":null}');
    expectEqual(JSON.stringify([undefined, () => 1, Symbol("s")]), "[null,null,null]");
    expectEqual(JSON.stringify(undefined), undefined);
    expectEqual(JSON.stringify(-0), "0");
    expectEqual(JSON.stringify(1e21), "1e+21");
    expectEqual(JSON.stringify({ b: 1, 2: 1, a: 1, 1: 1 }), '{"1":1,"2":1,"b":1,"a":1}');
  });

  t.test("stringify escapes", () => {
    expectEqual(JSON.stringify('\u0001\n"\\\t/'), '"\\u0001\\n\\"\\\\\\t/"');
    expectEqual(JSON.stringify("\u2028\u2029é😀"), '"\u2028\u2029é😀"');
    expectEqual(JSON.stringify("\ud800"), '"\\ud800"');
    expectEqual(JSON.stringify("\udc00\ud83d\ude00"), '"\\udc00😀"');
  });

  t.test("stringify with indentation, replacers and toJSON", () => {
    expectEqual(JSON.stringify({ a: 1, b: [1, 2], c: {} }, null, 2), '{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ],\n  "c": {}\n}');
    expectEqual(JSON.stringify([1], null, "--"), "[\n--1\n]");
    expectEqual(JSON.stringify({ a: 1, b: 2, c: 3 }, ["c", "a"]), '{"c":3,"a":1}');
    expectEqual(JSON.stringify({ a: 1, b: "x" }, (_key, value) => (typeof value === "number" ? value * 2 : value)), '{"a":2,"b":"x"}');
    expectEqual(JSON.stringify({ d: new Date(0), custom: { toJSON: () => "mine" } }), '{"d":"1970-01-01T00:00:00.000Z","custom":"mine"}');
  });

  t.test("stringify rejects BigInt and cycles", () => {
    expectThrows(() => JSON.stringify({ n: 1n }), TypeError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expectThrows(() => JSON.stringify(cycle), TypeError);
  });

  t.test("parse values and unicode escapes", () => {
    expectEqual(JSON.parse('{"a":[1,2.5e3,-0.5,true,null,"x"]}'), { a: [1, 2500, -0.5, true, null, "x"] });
    expectEqual(JSON.parse('"\\u00e9\\ud83d\\ude00\\n\\/"'), "é😀\n/");
    expectEqual(JSON.parse('"\\ud800"'), "\ud800");
    expectEqual(JSON.parse(" \t\n\r1 "), 1);
    expectEqual(JSON.parse("1e400"), Infinity);
    expectTrue(Object.is(JSON.parse("-0"), -0));
    expectEqual(JSON.parse("123456789012345678901234567890"), 1.2345678901234568e29);
  });

  t.test("parse keeps __proto__ as an own key and applies revivers", () => {
    const parsed = JSON.parse('{"__proto__": 1, "a": {"b": 2}}');
    expectTrue(Object.prototype.hasOwnProperty.call(parsed, "__proto__"));
    expectEqual(Object.getPrototypeOf(parsed), Object.prototype);
    const revived = JSON.parse('{"a":1,"b":[2,3]}', (_key, value) => (typeof value === "number" ? value + 1 : value));
    expectEqual(revived, { a: 2, b: [3, 4] });
  });

  t.test("parse rejects invalid JSON with SyntaxError", () => {
    for (const text of ["{a:1}", "[1,]", "'x'", "01", "", "[", '"\\x41"', "NaN", '"tab\there"', "1 2"]) {
      expectThrows(() => JSON.parse(text), SyntaxError, JSON.stringify(text));
    }
  });
}
