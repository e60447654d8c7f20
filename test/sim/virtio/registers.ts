import type { AccessWidth } from "../registers";
import type { VirtioDeviceModel } from "./device-model";
import { fieldAt } from "./spec/field";
import type { SpecField, SpecTable } from "./spec/field";

/** A register access resolved to its field; `upper` for the high half of a 64-bit field. */
export interface FieldAccess {
  readonly name: string;
  readonly field: SpecField;
  readonly upper: boolean;
}

/**
 * The field an access hits, or undefined (reported) when it hits none, does not match the
 * field's width, or goes against the field's access (write to "ro", read of "wo"). 64-bit fields
 * may also be accessed as two aligned 32-bit halves.
 */
export function matchField(
  model: VirtioDeviceModel,
  where: string,
  table: SpecTable,
  offset: number,
  width: AccessWidth,
  write: boolean,
): FieldAccess | undefined {
  const hit = fieldAt(table, offset);
  if (hit === undefined) {
    model.report(`${where}: ${width}-byte access at 0x${offset.toString(16)} hits no register`);
    return undefined;
  }
  const [name, field] = hit;
  const exact = offset === field.offset && width === field.width;
  const half = field.width === 8 && width === 4 && (offset - field.offset) % 4 === 0;
  if (!exact && !half) {
    model.report(`${where}: ${width}-byte access at 0x${offset.toString(16)} to ${field.width}-byte ${name}`);
    return undefined;
  }
  if (write && field.access === "ro") {
    model.report(`${where}: write to read-only ${name}`);
    return undefined;
  }
  if (!write && field.access === "wo") {
    model.report(`${where}: read of write-only ${name}`);
    return undefined;
  }
  return { name, field, upper: offset - field.offset === 4 };
}

/**
 * Device-specific configuration accesses (virtio 1.2 sections 4.1.3.1 and 4.2.2.2): 8-bit
 * accesses for 8-bit fields, 16-bit aligned for 16-bit ones, 32-bit aligned for 32- and 64-bit
 * ones (64-bit fields as two 32-bit halves). Reports and returns false otherwise.
 */
export function configAccessOk(model: VirtioDeviceModel, table: SpecTable, offset: number, width: AccessWidth, write: boolean): boolean {
  const hit = fieldAt(table, offset);
  if (hit === undefined) {
    model.report(`device config: ${width}-byte access at ${offset} hits no field`);
    return false;
  }
  const [name, field] = hit;
  const expected = field.width === 8 ? 4 : field.width;
  if (width !== expected || (offset - field.offset) % expected !== 0) {
    model.report(`device config: ${width}-byte access at ${offset} to ${field.width}-byte ${name}`);
    return false;
  }
  if (write && field.access === "ro") {
    model.report(`device config: write to read-only ${name}`);
    return false;
  }
  return true;
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
