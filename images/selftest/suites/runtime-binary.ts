/** Typed arrays, DataView and BigInt arithmetic. */
import { expectEqual, expectThrows, expectTrue, type TestRegistry } from "../harness";

export function registerBinaryTests(t: TestRegistry): void {
  t.test("DataView reads and writes both byte orders", () => {
    const view = new DataView(new ArrayBuffer(16));
    view.setUint32(0, 0x01020304);
    view.setUint32(4, 0x01020304, true);
    expectEqual(Array.from(new Uint8Array(view.buffer, 0, 8)), [1, 2, 3, 4, 4, 3, 2, 1]);
    view.setInt16(8, -2, true);
    expectEqual(view.getUint16(8, true), 0xfffe);
    expectEqual(view.getInt16(8), -257);
    view.setFloat64(8, Math.PI, true);
    expectEqual(view.getFloat64(8, true), Math.PI);
    view.setFloat32(0, 0.1);
    expectEqual(view.getFloat32(0), 0.10000000149011612);
  });

  t.test("BigInt64 in DataView and typed arrays", () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigInt64(0, -2n, true);
    expectEqual(Array.from(new Uint8Array(view.buffer)), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expectEqual(view.getBigUint64(0, true), 2n ** 64n - 2n);
    expectEqual(view.getBigInt64(0), -72057594037927937n);
    expectEqual(Array.from(new BigUint64Array([-1n, 2n ** 64n + 3n])), [2n ** 64n - 1n, 3n]);
    expectEqual(new BigInt64Array([2n ** 63n])[0], -(2n ** 63n));
  });

  t.test("the platform is little-endian", () => {
    expectEqual(new Uint8Array(new Uint16Array([0x0102]).buffer)[0], 2);
  });

  t.test("element conversions: wrapping, clamping, float32 rounding", () => {
    expectEqual(Array.from(new Uint8Array([256, -1, 1.9])), [0, 255, 1]);
    expectEqual(Array.from(new Int8Array([128, -129])), [-128, 127]);
    expectEqual(Array.from(new Uint8ClampedArray([300, -5, 1.5, 2.5, 0.5000001])), [255, 0, 2, 2, 1]);
    expectEqual(new Float32Array([0.1])[0], 0.10000000149011612);
    expectEqual(new Float32Array([16777217])[0], 16777216);
    expectEqual(new Float32Array([1e40])[0], Infinity);
    expectEqual(Array.from(new Int32Array([2 ** 31])), [-(2 ** 31)]);
  });

  t.test("subarray shares memory, slice copies", () => {
    const bytes = Uint8Array.from([1, 2, 3, 4, 5]);
    const sub = bytes.subarray(1, 3);
    sub[0] = 9;
    expectEqual(bytes[1], 9);
    expectEqual(sub.byteOffset, 1);
    const copy = bytes.slice(1, 3);
    copy[0] = 7;
    expectEqual(bytes[1], 9);
    const words = new Uint32Array(bytes.buffer.slice(0, 4));
    expectEqual(words.length, 1);
    bytes.set([8, 8], 3);
    expectEqual(Array.from(bytes), [1, 9, 3, 8, 8]);
    bytes.copyWithin(0, 3);
    expectEqual(Array.from(bytes), [8, 8, 3, 8, 8]);
    expectEqual(Array.from(new Float64Array([3, -1, 10, 2]).sort()), [-1, 2, 3, 10]);
    expectThrows(() => new Uint32Array(new ArrayBuffer(6)), RangeError);
  });

  t.test("BigInt arithmetic", () => {
    expectEqual(2n ** 64n, 18446744073709551616n);
    expectEqual(String(2n ** 64n), "18446744073709551616");
    expectEqual(-7n / 2n, -3n);
    expectEqual(-7n % 2n, -1n);
    expectEqual((10n ** 30n) / 7n, 142857142857142857142857142857n);
    expectEqual(1n << 100n, 1267650600228229401496703205376n);
    expectEqual(-1n >> 10n, -1n);
    expectEqual(0xffn & -0x10n, 0xf0n);
    expectEqual(BigInt(Number.MAX_SAFE_INTEGER) + 2n, 9007199254740993n);
    expectEqual((255n).toString(16), "ff");
    expectEqual(BigInt("0x10"), 16n);
    expectEqual(BigInt("  -12  "), -12n);
    expectTrue(typeof 1n === "bigint" && 1n < 2 && 2n == (2 as unknown as bigint));
  });

  t.test("BigInt width conversions and errors", () => {
    expectEqual(BigInt.asUintN(64, -1n), 2n ** 64n - 1n);
    expectEqual(BigInt.asIntN(8, 255n), -1n);
    expectEqual(BigInt.asIntN(64, 2n ** 63n), -(2n ** 63n));
    expectEqual(Number(2n ** 64n), 18446744073709552000);
    expectThrows(() => BigInt(1.5), RangeError);
    expectThrows(() => BigInt("1.5"), SyntaxError);
    expectThrows(() => (1n as unknown as number) + 1, TypeError);
    expectThrows(() => 1n / 0n, RangeError);
  });
}
