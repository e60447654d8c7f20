/**
 * Number.prototype.toString(radix) beyond 32-bit integers. QuickJS 2021-03-27 prints decimal
 * digits for any other number whatever the radix; this prints the integer part exactly and the
 * shortest fraction that reads back as the same double, as other engines do.
 */
const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";
const bits = new DataView(new ArrayBuffer(8));

/** The distance from `value` (positive, finite) to the next larger double. */
function ulp(value: number): number {
  bits.setFloat64(0, value);
  const low = bits.getUint32(4);
  if (low === 0xffff_ffff) {
    bits.setUint32(4, 0);
    bits.setUint32(0, bits.getUint32(0) + 1);
  } else {
    bits.setUint32(4, low + 1);
  }
  return bits.getFloat64(0) - value;
}

/** Exact digits of a non-negative integral double. */
function integerToRadix(integer: number, radix: number): string {
  if (integer > Number.MAX_SAFE_INTEGER) return BigInt(integer).toString(radix);
  let digits = "";
  let rest = integer;
  do {
    const digit = rest % radix;
    digits = DIGITS[digit] + digits;
    rest = (rest - digit) / radix;
  } while (rest > 0);
  return digits;
}

export function numberToRadix(value: number, radix: number): string {
  const negative = value < 0;
  const magnitude = Math.abs(value);
  let integer = Math.floor(magnitude);
  let fraction = magnitude - integer;
  // Half the gap to the neighbouring doubles: digits below it would not change the value.
  let delta = Math.max(0.5 * ulp(magnitude), Number.MIN_VALUE);
  const digits: number[] = [];
  if (fraction >= delta) {
    for (;;) {
      fraction *= radix;
      delta *= radix;
      const digit = Math.floor(fraction);
      digits.push(digit);
      fraction -= digit;
      const roundsUp = fraction > 0.5 || (fraction === 0.5 && (digit & 1) === 1);
      if (roundsUp && fraction + delta > 1) {
        let i = digits.length - 1;
        while (i >= 0 && digits[i] + 1 === radix) digits.length = i--;
        if (i < 0) integer += 1;
        else digits[i] += 1;
        break;
      }
      if (fraction < delta) break;
    }
  }
  const fractionDigits = digits.map((d) => DIGITS[d]).join("");
  const sign = negative ? "-" : "";
  return `${sign}${integerToRadix(integer, radix)}${fractionDigits ? `.${fractionDigits}` : ""}`;
}

const DECIMAL = 10;

export function installNumberRadix(): void {
  const original = Number.prototype.toString;
  const valueOf = Number.prototype.valueOf;
  Number.prototype.toString = function toString(this: number | Number, radix?: number): string {
    const value = valueOf.call(this);
    const base = radix === undefined ? DECIMAL : Math.trunc(Number(radix));
    const engineHandles = (value | 0) === value && !Object.is(value, -0);
    if (base === DECIMAL || !(base >= 2 && base <= DIGITS.length) || engineHandles || !Number.isFinite(value)) {
      return original.call(value, radix);
    }
    return numberToRadix(value, base);
  };
}
