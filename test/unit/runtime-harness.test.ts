import { describe, expect, it } from "vitest";
import {
  expectClose,
  expectEqual,
  expectMatch,
  expectRejects,
  expectThrows,
  expectTrue,
  Harness,
  isDeepEqual,
} from "../../images/selftest/harness";

async function runHarness(register: (harness: Harness) => void): Promise<{ failed: number; lines: string[] }> {
  let output = "";
  const harness = new Harness((text) => (output += text), 50);
  register(harness);
  const failed = await harness.run();
  return { failed, lines: output.split("\n").slice(0, -1) };
}

describe("selftest harness", () => {
  it("runs tests in order, one line each, and ends with the tally", async () => {
    const order: string[] = [];
    const { failed, lines } = await runHarness((h) => {
      h.test("sync pass", () => void order.push("a"));
      h.test("async pass", async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("b");
      });
      h.test("mismatch", () => expectEqual({ a: [1, 2] }, { a: [1, 3] }));
      h.test("throws", () => {
        throw new RangeError("out of range");
      });
      h.test("throws a string", () => Promise.reject("nope"));
      h.test("slow", () => new Promise(() => undefined));
      h.test("after timeout", () => void order.push("c"));
    });
    expect(order).toEqual(["a", "b", "c"]);
    expect(failed).toBe(4);
    expect(lines).toEqual([
      "TAP version 13",
      "ok - sync pass",
      "ok - async pass",
      "not ok - mismatch: expected { a: [ 1, 3 ] }, got { a: [ 1, 2 ] }",
      "not ok - throws: threw RangeError: out of range",
      "not ok - throws a string: threw 'nope'",
      "not ok - slow: timed out after 50 ms",
      "ok - after timeout",
      "1..7",
      "3 passed, 4 failed",
    ]);
  });

  it("honours per-test timeouts and keeps failure reasons on one line", async () => {
    const { lines } = await runHarness((h) => {
      h.test("long", () => new Promise((resolve) => setTimeout(resolve, 80)), { timeoutMs: 500 });
      h.test("multi-line", () => expectEqual("x".repeat(30), "y".repeat(30) + "\n" + "z".repeat(60)));
    });
    expect(lines[1]).toBe("ok - long");
    expect(lines[2]).toMatch(/^not ok - multi-line: expected 'y+\\n' \+ 'z+', got 'x+'$/);
    expect(lines.slice(3)).toEqual(["1..2", "1 passed, 1 failed"]);
  });

  it("offers expectation helpers with clear messages", async () => {
    expect(() => expectTrue(false, "flag")).toThrow("flag: expected true");
    expect(() => expectClose(1.5, 1, 0.1)).toThrow("expected 1 ± 0.1, got 1.5");
    expectClose(1.05, 1, 0.1);
    expect(() => expectMatch("abc", /d/)).toThrow("expected 'abc' to match /d/");
    expect(expectThrows(() => JSON.parse("{"), SyntaxError)).toBeInstanceOf(SyntaxError);
    expect(() => expectThrows(() => undefined)).toThrow("expected an exception");
    expect(() => expectThrows(() => { throw 1; }, TypeError)).toThrow("expected a TypeError, got 1");
    await expect(expectRejects(Promise.resolve(1))).rejects.toThrow("expected a rejection");
    expect(await expectRejects(Promise.reject(new TypeError("t")), TypeError)).toBeInstanceOf(TypeError);
  });

  it("compares deeply", () => {
    expect(isDeepEqual([1, { a: NaN }], [1, { a: NaN }])).toBe(true);
    expect(isDeepEqual(0, -0)).toBe(false);
    expect(isDeepEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(isDeepEqual({ a: undefined }, { b: undefined })).toBe(false);
    expect(isDeepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(isDeepEqual(new Uint8Array([1, 2]), new Int8Array([1, 2]))).toBe(false);
    expect(isDeepEqual(new Map([[1, [2]]]), new Map([[1, [2]]]))).toBe(true);
    expect(isDeepEqual(new Set([1, 2]), new Set([2, 3]))).toBe(false);
    expect(isDeepEqual(new Date(5), new Date(5))).toBe(true);
    expect(isDeepEqual([1n], [1n])).toBe(true);
  });
});
