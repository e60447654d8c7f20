import type { AccessWidth } from "../registers";
import type { VirtioDeviceModel } from "./device-model";

export interface Field {
  readonly name: string;
  readonly offset: number;
  readonly width: AccessWidth;
  readonly readOnly?: boolean;
}

/**
 * The field an access hits, or undefined (reported) when the access does not match the
 * field's width. 64-bit fields may also be accessed as two aligned 32-bit halves.
 */
export function matchField(
  model: VirtioDeviceModel,
  where: string,
  fields: readonly Field[],
  offset: number,
  width: AccessWidth,
  write: boolean,
): Field | undefined {
  const field = fields.find((f) => offset >= f.offset && offset < f.offset + f.width);
  if (field === undefined) {
    model.report(`${where}: ${width}-byte access at 0x${offset.toString(16)} hits no register`);
    return undefined;
  }
  const exact = offset === field.offset && width === field.width;
  const half = field.width === 8 && width === 4 && (offset - field.offset) % 4 === 0;
  if (!exact && !half) {
    model.report(`${where}: ${width}-byte access at 0x${offset.toString(16)} to ${field.width}-byte ${field.name}`);
    return undefined;
  }
  if (write && field.readOnly) {
    model.report(`${where}: write to read-only ${field.name}`);
    return undefined;
  }
  return field;
}

const TWO_POW_32 = 0x1_0000_0000;

/** Replaces one 32-bit half of a 64-bit address. */
export function setHalf(current: number, upper: boolean, value: number): number {
  return upper ? value * TWO_POW_32 + (current % TWO_POW_32) : Math.floor(current / TWO_POW_32) * TWO_POW_32 + (value >>> 0);
}

export function getHalf(current: number, upper: boolean): number {
  return upper ? Math.floor(current / TWO_POW_32) : current % TWO_POW_32;
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}
