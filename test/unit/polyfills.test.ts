import { describe, expect, it } from "vitest";
import { findInvalidJsonEscape } from "../../kernel/polyfills/json-escapes";
import { numberToRadix } from "../../kernel/polyfills/number-radix";

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("radix conversion beyond 32-bit integers", () => {
  it("matches V8 on simple and hard fractions", () => {
    const values = [2 ** 53, -(2 ** 40) - 1, 2 ** 31, 0.5, 0.1, -0.1, 1 / 3, 2 / 3, 255.5, 1e-7, 123456.789, 0.999999999999, Math.PI, -Math.E, 5e-324];
    for (const value of values)
      for (const radix of [2, 3, 7, 8, 16, 36])
        expect(numberToRadix(value, radix), `${value} in base ${radix}`).toBe(
          value.toString(radix),
        );
  });

  it("matches V8 on random doubles", () => {
    const random = seededRandom(42);
    for (let i = 0; i < 2000; i++) {
      const scaled = (random() - 0.5) * 10 ** Math.floor(random() * 20 - 4);
      const value = random() < 0.3 ? Math.round(scaled) : scaled;
      const radix = 2 + Math.floor(random() * 35);
      // Decimal is the engine's own shortest-round-trip printing, not this path.
      if (radix === 10) continue;
      expect(numberToRadix(value, radix), `${value} in base ${radix}`).toBe(
        value.toString(radix),
      );
    }
  });
});

describe("JSON escape validation", () => {
  it("accepts every JSON escape, including escaped backslashes before letters", () => {
    expect(findInvalidJsonEscape(String.raw`{"a":"\" \\ \/ \b \f \n \r \t \u0041","b":"\\x41"}`)).toBe(-1);
  });

  it("finds escapes JSON does not allow", () => {
    expect(findInvalidJsonEscape(String.raw`"\x41"`)).toBe(1);
    expect(findInvalidJsonEscape(String.raw`"ok \\ \v"`)).toBe(7);
    expect(findInvalidJsonEscape(String.raw`"\0"`)).toBe(1);
    expect(findInvalidJsonEscape(String.raw`"\'"`)).toBe(1);
  });
});
