import { describe, expect, it } from "vitest";
import { assert, AssertionError } from "../../runtime/test/assert";
import { TestRunner } from "../../runtime/test/runner";

describe("the vireo/test runner", () => {
  it("names tests by their describe blocks and prints TAP with the plan and the tally last", async () => {
    let output = "";
    const runner = new TestRunner((text) => (output += text));
    runner.describe("outer", () => {
      runner.test("a", () => assert.equal(1, 1));
      runner.describe("inner", () => runner.test("b", () => assert.deepEqual({ x: [1] }, { x: [2] })));
    });
    runner.test("top", () => undefined);
    expect(await runner.run()).toBe(1);
    expect(output.split("\n")).toEqual([
      "TAP version 13",
      "ok - outer > a",
      "not ok - outer > inner > b: expected { x: [ 2 ] }, got { x: [ 1 ] }",
      "ok - top",
      "1..3",
      "2 passed, 1 failed",
      "",
    ]);
  });

  it("leaves the describe block's name behind when its body throws", () => {
    const runner = new TestRunner(() => undefined);
    expect(() => runner.describe("broken", () => { throw new Error("x"); })).toThrow("x");
    runner.test("after", () => undefined);
    expect(runner.size).toBe(1);
  });
});

describe("assert (node:assert/strict shape)", () => {
  it("ok and the call form take truthy values", () => {
    assert(1);
    assert.ok("yes");
    expect(() => assert(0, "flag")).toThrow(new AssertionError("flag: expected a truthy value, got 0"));
  });

  it("equal is Object.is, deepEqual is structural", () => {
    assert.equal(NaN, NaN);
    expect(() => assert.equal(0, -0)).toThrow(AssertionError);
    expect(() => assert.equal({}, {})).toThrow("expected {}, got {}");
    assert.deepEqual({ a: [1, new Map([[1, 2]])] }, { a: [1, new Map([[1, 2]])] });
    assert.notEqual(1, 2);
    expect(() => assert.notDeepEqual([1], [1])).toThrow("expected anything but [ 1 ]");
    assert.match("abc", /b/);
    expect(() => assert.match("abc", /d/)).toThrow("expected 'abc' to match /d/");
  });

  it("throws checks the class, the message pattern or a predicate, and returns the error", () => {
    const error = assert.throws(() => JSON.parse("{"), SyntaxError);
    expect(error).toBeInstanceOf(SyntaxError);
    assert.throws(() => { throw new Error("disk full"); }, /full/);
    assert.throws(() => { throw 7; }, (thrown) => thrown === 7);
    expect(() => assert.throws(() => undefined)).toThrow("expected an exception");
    expect(() => assert.throws(() => { throw new Error("a"); }, TypeError)).toThrow("expected a TypeError");
    expect(() => assert.throws(() => { throw new Error("a"); }, /b/)).toThrow("expected an error matching /b/");
    expect(() => assert.throws(() => { throw 1; }, () => false)).toThrow("the error did not satisfy the check: 1");
  });

  it("rejects takes a promise or a function returning one", async () => {
    expect(await assert.rejects(Promise.reject(new RangeError("r")), RangeError)).toBeInstanceOf(RangeError);
    await assert.rejects(async () => { throw new Error("late"); }, /late/);
    await expect(assert.rejects(Promise.resolve(1))).rejects.toThrow("expected a rejection");
  });

  it("fail always throws", () => {
    expect(() => assert.fail("because")).toThrow(new AssertionError("because"));
  });
});
