/** Number to string conversions, parsing, limits and Math functions against known results. */
import { expectEqual, expectTrue, type TestRegistry } from "../harness";

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulpDistance(a: number, b: number): number {
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const distance = bits[0] - bits[1];
  return Number(distance < 0n ? -distance : distance);
}

function expectUlps(actual: number, expected: number, maxUlps: number, context: string): void {
  if (Object.is(actual, expected)) return;
  const ulps = Math.sign(actual) === Math.sign(expected) ? ulpDistance(actual, expected) : Infinity;
  expectTrue(ulps <= maxUlps, `${context}: expected ${expected}, got ${actual} (${ulps} ulps)`);
}

export function registerNumberTests(t: TestRegistry): void {
  t.test("shortest round-trip number to string", () => {
    expectEqual(String(0.1 + 0.2), "0.30000000000000004");
    expectEqual(String(1 / 3), "0.3333333333333333");
    expectEqual((1e21).toString(), "1e+21");
    expectEqual((1e20).toString(), "100000000000000000000");
    expectEqual(String(1e-7), "1e-7");
    expectEqual(String(0.000001), "0.000001");
    expectEqual(String(-1.5e-7), "-1.5e-7");
    expectEqual(String(Number.MIN_VALUE), "5e-324");
    expectEqual(String(Number.MAX_VALUE), "1.7976931348623157e+308");
    expectEqual(String(-0), "0");
    expectEqual(String(123456789012345680000), "123456789012345680000");
    expectEqual([NaN, Infinity, -Infinity].map(String), ["NaN", "Infinity", "-Infinity"]);
  });

  t.test("radix conversions", () => {
    expectEqual((255).toString(16), "ff");
    expectEqual((-255).toString(36), "-73");
    expectEqual((0.5).toString(2), "0.1");
    expectEqual((2 ** 53).toString(2), "1" + "0".repeat(53));
    expectEqual(parseInt("ff", 16), 255);
    expectEqual(parseInt("08"), 8);
    expectEqual(parseInt("-0x1F"), -31);
  });

  t.test("toFixed", () => {
    expectEqual((123.456).toFixed(2), "123.46");
    expectEqual((1.005).toFixed(2), "1.00");
    expectEqual((0.5).toFixed(0), "1");
    expectEqual((2.5).toFixed(0), "3");
    expectEqual((-1.5).toFixed(0), "-2");
    expectEqual((0).toFixed(2), "0.00");
    expectEqual((1e21).toFixed(2), "1e+21");
    expectEqual((0.000001).toFixed(7), "0.0000010");
    expectEqual((1.45).toFixed(20), "1.44999999999999995559");
  });

  t.test("toPrecision and toExponential", () => {
    expectEqual((123.456).toPrecision(4), "123.5");
    expectEqual((0.00001234).toPrecision(2), "0.000012");
    expectEqual((123456).toPrecision(2), "1.2e+5");
    expectEqual((1e21).toPrecision(3), "1.00e+21");
    expectEqual((1.5).toPrecision(), "1.5");
    expectEqual((123456).toExponential(2), "1.23e+5");
    expectEqual((0).toExponential(), "0e+0");
    expectEqual((1.5).toExponential(), "1.5e+0");
    expectEqual((0.00015).toExponential(1), "1.5e-4");
    expectEqual((-6.02214076e23).toExponential(3), "-6.022e+23");
  });

  t.test("parseFloat and Number round-trip printed values", () => {
    const values = [0.1, 1 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 2 ** 53 + 2, 123.456, -9.87e-123, 4.35, 0.3];
    for (const value of values) {
      expectEqual(parseFloat(String(value)), value, String(value));
      expectEqual(Number(value.toExponential(16)), value, value.toExponential(16));
    }
    expectEqual(parseFloat("1.5e3x"), 1500);
    expectEqual(parseFloat("  -.5"), -0.5);
    expectEqual(parseFloat("1e400"), Infinity);
    expectEqual(Number("0x1f"), 31);
    expectEqual(Number("  12  "), 12);
    expectEqual(Number(""), 0);
    expectTrue(Number.isNaN(Number("1_0")));
    expectEqual(Number("0.1e-400"), 0);
  });

  t.test("integer limits and precision", () => {
    expectEqual(Number.MAX_SAFE_INTEGER, 9007199254740991);
    expectEqual(Number.MIN_SAFE_INTEGER, -9007199254740991);
    expectEqual(2 ** 53 + 1, 2 ** 53);
    expectEqual(Number.EPSILON, 2 ** -52);
    expectTrue(Number.isSafeInteger(2 ** 53 - 1) && !Number.isSafeInteger(2 ** 53));
    expectEqual(0xffffffff | 0, -1);
    expectEqual(-1 >>> 0, 4294967295);
    expectEqual(2 ** 32 + 5 >> 0, 5);
    expectEqual(1 / -0, -Infinity);
    expectEqual(7 % -3, 1);
    expectEqual(-7 % 3, -1);
    expectTrue(Object.is(-0 % 5, -0));
  });

  t.test("Math functions agree with correctly rounded results", () => {
    const cases: [string, number, number, number][] = [
      ["sin(1)", Math.sin(1), 0.8414709848078965, 1],
      ["cos(1)", Math.cos(1), 0.5403023058681398, 1],
      ["tan(1)", Math.tan(1), 1.5574077246549023, 1],
      ["sin(pi)", Math.sin(Math.PI), 1.2246467991473532e-16, 1],
      ["sin(1e6)", Math.sin(1e6), -0.34999350217129294, 1],
      ["exp(1)", Math.exp(1), Math.E, 1],
      ["exp(-745)", Math.exp(-745), 5e-324, 1],
      ["log(10)", Math.log(10), Math.LN10, 1],
      ["log2(8)", Math.log2(8), 3, 0],
      ["log10(1000)", Math.log10(1000), 3, 0],
      ["expm1(1e-10)", Math.expm1(1e-10), 1.00000000005e-10, 1],
      ["log1p(1e-10)", Math.log1p(1e-10), 9.9999999995e-11, 1],
      ["pow(2, 0.5)", Math.pow(2, 0.5), Math.SQRT2, 1],
      ["pow(10, 22)", Math.pow(10, 22), 1e22, 0],
      ["sqrt(2)", Math.sqrt(2), Math.SQRT2, 0],
      ["atan2(1, 1)", Math.atan2(1, 1), Math.PI / 4, 1],
      ["atan2(-0, -1)", Math.atan2(-0, -1), -Math.PI, 0],
      ["asin(1)", Math.asin(1), Math.PI / 2, 1],
      ["hypot(3, 4)", Math.hypot(3, 4), 5, 0],
      ["hypot(1e200, 1e200)", Math.hypot(1e200, 1e200), 1.4142135623730952e200, 1],
      ["cbrt(27)", Math.cbrt(27), 3, 0],
      ["cbrt(2)", Math.cbrt(2), 1.2599210498948732, 1],
      ["sinh(1)", Math.sinh(1), 1.1752011936438014, 1],
      ["tanh(0.5)", Math.tanh(0.5), 0.46211715726000974, 1],
    ];
    for (const [name, actual, expected, ulps] of cases) expectUlps(actual, expected, ulps, name);
  });

  t.test("Math rounding and integer helpers", () => {
    expectTrue(Object.is(Math.round(-0.5), -0));
    expectEqual(Math.round(2.5), 3);
    expectEqual(Math.round(-2.5), -2);
    expectEqual(Math.round(0.49999999999999994), 0);
    expectEqual(Math.trunc(-4.7), -4);
    expectEqual(Math.floor(-0.5), -1);
    expectEqual(Math.ceil(-0.5), -0);
    expectEqual(Math.sign(-3), -1);
    expectEqual(Math.fround(5.05), 5.050000190734863);
    expectEqual(Math.clz32(1), 31);
    expectEqual(Math.imul(0xffffffff, 5), -5);
    expectEqual(Math.max(), -Infinity);
    expectTrue(Number.isNaN(Math.min(1, NaN)));
    expectEqual(Math.abs(-0), 0);
  });
}
