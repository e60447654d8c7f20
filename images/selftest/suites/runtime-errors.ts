/** Built-in error types, error properties and stacks. */
import { formatValue } from "../../../kernel/console/inspect";
import { expectEqual, expectMatch, expectRejects, expectThrows, expectTrue, type TestRegistry } from "../harness";

class ValidationError extends Error {
  override name = "ValidationError";
  constructor(message: string, readonly field: string) {
    super(message);
  }
}

function createErrorInNamedFunction(): Error {
  return new Error("from a named function");
}

function outerFrame(): Error {
  return innerFrame();
}

function innerFrame(): Error {
  return new Error("nested");
}

export function registerErrorTests(t: TestRegistry): void {
  t.test("the engine throws the right built-in error types", () => {
    expectThrows(() => (null as unknown as { x: number }).x, TypeError);
    expectThrows(() => new Array(-1), RangeError);
    expectThrows(() => JSON.parse("{"), SyntaxError);
    expectThrows(() => (undefined as unknown as () => void)(), TypeError);
    expectThrows(() => decodeURIComponent("%"), URIError);
    expectThrows(() => (1).toFixed(101), RangeError);
  });

  t.test("errors have a name, message and toString", () => {
    const error = new RangeError("too big");
    expectEqual(error.name, "RangeError");
    expectEqual(error.message, "too big");
    expectEqual(String(error), "RangeError: too big");
    expectEqual(String(new Error()), "Error");
    expectTrue(error instanceof Error);
  });

  t.test("subclasses keep their name, fields and prototype chain", () => {
    const error = new ValidationError("bad input", "email");
    expectTrue(error instanceof ValidationError && error instanceof Error);
    expectEqual(String(error), "ValidationError: bad input");
    expectEqual(error.field, "email");
  });

  t.test("stacks are strings naming the functions on them", () => {
    const error = createErrorInNamedFunction();
    expectEqual(typeof error.stack, "string");
    expectMatch(error.stack ?? "", /at createErrorInNamedFunction/);
    const nested = outerFrame().stack ?? "";
    expectTrue(nested.indexOf("innerFrame") < nested.indexOf("outerFrame"), nested);
  });

  t.test("inspecting an error shows its headline and frames", () => {
    const text = formatValue(createErrorInNamedFunction());
    expectMatch(text, /^Error: from a named function\n {4}at /);
    expectMatch(formatValue(Object.assign(new Error("x"), { code: "E" })), /\{\n {2}code: 'E'\n\}$/);
  });

  t.test("rejections and thrown non-errors propagate", async () => {
    await expectRejects(Promise.reject(new TypeError("async")), TypeError);
    const thrown = await (async () => {
      throw "plain";
    })().catch((reason: unknown) => reason);
    expectEqual(thrown, "plain");
  });

  t.test("finally runs and rethrows", () => {
    const steps: string[] = [];
    expectThrows(() => {
      try {
        throw new Error("inner");
      } finally {
        steps.push("finally");
      }
    }, Error);
    expectEqual(steps, ["finally"]);
  });
}
