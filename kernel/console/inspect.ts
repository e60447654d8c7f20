/**
 * `formatValue`: renders any value the way Node's util.inspect does with its default options
 * (no colours, compact 3), so guest logs read like Node's.
 */
import { errorStack } from "./error-stack";
import { formatKey, quoteString } from "./quote";

export interface InspectOptions {
  /** Levels of nesting shown before `[Object]`; default 2. */
  depth?: number;
  /** Line width beyond which entries go on separate lines; default 80. */
  breakLength?: number;
  /** Items shown per array, typed array, Set or Map; default 100. */
  maxArrayLength?: number;
  /** Characters shown per string; default 10000. */
  maxStringLength?: number;
  /** Rewrites error stacks (for example from bundle to source positions). */
  mapStack?: (stack: string) => string;
}

interface Context {
  readonly depth: number;
  readonly breakLength: number;
  readonly maxArrayLength: number;
  readonly maxStringLength: number;
  readonly mapStack?: (stack: string) => string;
  readonly seen: object[];
  readonly circular: Map<object, number>;
  indentation: number;
  /** The nesting level of the object formatted last; decides whether a parent fits on one line. */
  currentDepth: number;
}

type Entries = (ctx: Context, value: never, recurseTimes: number) => string[];

/** Objects nesting more than this many levels inside are always broken over lines. */
const COMPACT = 3;
const MIN_LINE_WIDTH = 16;
const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

export function formatValue(value: unknown, options: InspectOptions = {}): string {
  const ctx: Context = {
    depth: options.depth ?? 2,
    breakLength: options.breakLength ?? 80,
    maxArrayLength: options.maxArrayLength ?? 100,
    maxStringLength: options.maxStringLength ?? 10000,
    mapStack: options.mapStack,
    seen: [],
    circular: new Map(),
    indentation: 0,
    currentDepth: 0,
  };
  return formatAny(ctx, value, 0);
}

export function formatNumber(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}

function formatAny(ctx: Context, value: unknown, recurseTimes: number): string {
  switch (typeof value) {
    case "object":
      return value === null ? "null" : formatObject(ctx, value, recurseTimes);
    case "function":
      return formatObject(ctx, value, recurseTimes);
    case "string":
      return formatString(ctx, value);
    case "number":
      return formatNumber(value);
    case "bigint":
      return `${value}n`;
    case "symbol":
      return value.toString();
    default:
      return String(value);
  }
}

/** Formats a nested value two columns further in. */
function formatNested(ctx: Context, value: unknown, recurseTimes: number): string {
  ctx.indentation += 2;
  const text = formatAny(ctx, value, recurseTimes);
  ctx.indentation -= 2;
  return text;
}

function formatString(ctx: Context, text: string): string {
  let trailer = "";
  if (text.length > ctx.maxStringLength) {
    trailer = `... ${plural(text.length - ctx.maxStringLength, "more character")}`;
    text = text.slice(0, ctx.maxStringLength);
  }
  if (text.length > MIN_LINE_WIDTH && text.length > ctx.breakLength - ctx.indentation - 4) {
    const lines = text.split(/(?<=\n)/).map(quoteString);
    return lines.join(` +\n${" ".repeat(ctx.indentation + 2)}`) + trailer;
  }
  return quoteString(text) + trailer;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function formatObject(ctx: Context, value: object, recurseTimes: number): string {
  if (ctx.seen.includes(value)) {
    let index = ctx.circular.get(value);
    if (index === undefined) {
      index = ctx.circular.size + 1;
      ctx.circular.set(value, index);
    }
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, recurseTimes);
}

function formatRaw(ctx: Context, value: object, recurseTimes: number): string {
  const constructor = constructorName(value);
  let keys = ownEnumerableKeys(value);
  let base = "";
  let braces = ["{", "}"];
  let entries: Entries = () => [];
  let arrayLike = false;

  if (Array.isArray(value) || isTypedArray(value)) {
    keys = keys.filter((key) => typeof key === "symbol" || !INDEX_KEY.test(key));
    const typed = !Array.isArray(value);
    const name = constructor ?? (typed ? typedArrayTag(value) : "Array");
    const prefix = typed || name !== "Array" ? `${name}(${value.length}) ` : "";
    braces = [`${prefix}[`, "]"];
    if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
    arrayLike = true;
    entries = typed ? typedArrayEntries : arrayEntries;
  } else if (value instanceof Map || value instanceof Set) {
    const prefix = `${constructor ?? (value instanceof Map ? "Map" : "Set")}(${value.size}) `;
    if (value.size === 0 && keys.length === 0) return `${prefix}{}`;
    braces = [`${prefix}{`, "}"];
    entries = value instanceof Map ? mapEntries : setEntries;
  } else if (value instanceof ArrayBuffer) {
    braces = [`${constructor ?? "ArrayBuffer"} {`, "}"];
    entries = arrayBufferEntries;
  } else if (value instanceof DataView) {
    braces = [`${constructor ?? "DataView"} {`, "}"];
    entries = dataViewEntries;
  } else {
    if (typeof value === "function") base = functionBase(value);
    else if (value instanceof RegExp) base = RegExp.prototype.toString.call(value);
    else if (value instanceof Date) base = Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    else if (value instanceof Error) base = errorBase(ctx, value);
    else if (constructor === null) braces[0] = "[Object: null prototype] {";
    else if (constructor !== "Object") braces[0] = `${constructor} {`;
    if (keys.length === 0) return base === "" ? `${braces[0]}}` : base;
  }

  if (recurseTimes > ctx.depth) return constructor === null ? "[Object: null prototype]" : `[${constructor}]`;

  recurseTimes++;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  const output = entries(ctx, value as never, recurseTimes);
  for (const key of keys) output.push(formatProperty(ctx, value, key, recurseTimes));
  ctx.seen.pop();

  const reference = ctx.circular.get(value);
  if (reference !== undefined) base = base === "" ? `<ref *${reference}>` : `<ref *${reference}> ${base}`;
  return reduceToSingleString(ctx, output, base, braces, arrayLike ? (value as ArrayLike<unknown>) : undefined, recurseTimes);
}

function constructorName(value: object): string | null {
  for (let proto: object | null = value; proto !== null; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, "constructor");
    const candidate: unknown = descriptor?.value;
    if (typeof candidate === "function" && candidate.name !== "" && isInstance(value, candidate)) return candidate.name;
  }
  return null;
}

function isInstance(value: object, candidate: Function): boolean {
  try {
    return value instanceof candidate;
  } catch {
    return false;
  }
}

function ownEnumerableKeys(value: object): (string | symbol)[] {
  const keys: (string | symbol)[] = Object.keys(value);
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol);
  }
  return keys;
}

type TypedArray = ArrayLike<number | bigint> & Iterable<number | bigint>;

function isTypedArray(value: object): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function typedArrayTag(value: TypedArray): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

function formatProperty(ctx: Context, value: object, key: string | symbol, recurseTimes: number): string {
  const descriptor = Object.getOwnPropertyDescriptor(value, key);
  let text: string;
  if (descriptor === undefined || "value" in descriptor) {
    text = formatNested(ctx, (value as Record<string | symbol, unknown>)[key], recurseTimes);
  } else if (descriptor.get !== undefined) {
    text = descriptor.set !== undefined ? "[Getter/Setter]" : "[Getter]";
  } else {
    text = descriptor.set !== undefined ? "[Setter]" : "undefined";
  }
  return `${formatKey(key)}: ${text}`;
}

function moreItems(count: number): string {
  return `... ${plural(count, "more item")}`;
}

function arrayEntries(ctx: Context, array: unknown[], recurseTimes: number): string[] {
  const output: string[] = [];
  let index = 0;
  while (index < array.length && output.length < ctx.maxArrayLength) {
    if (Object.prototype.hasOwnProperty.call(array, index)) {
      output.push(formatNested(ctx, array[index], recurseTimes));
      index++;
      continue;
    }
    let end = index + 1;
    while (end < array.length && !Object.prototype.hasOwnProperty.call(array, end)) end++;
    output.push(`<${plural(end - index, "empty item")}>`);
    index = end;
  }
  if (index < array.length) output.push(moreItems(array.length - index));
  return output;
}

function typedArrayEntries(ctx: Context, array: TypedArray, recurseTimes: number): string[] {
  return iterableEntries(ctx, array, array.length, (item) => formatAny(ctx, item, recurseTimes));
}

function setEntries(ctx: Context, set: Set<unknown>, recurseTimes: number): string[] {
  return iterableEntries(ctx, set, set.size, (item) => formatNested(ctx, item, recurseTimes));
}

function mapEntries(ctx: Context, map: Map<unknown, unknown>, recurseTimes: number): string[] {
  return iterableEntries(ctx, map, map.size, ([key, item]) => {
    return `${formatNested(ctx, key, recurseTimes)} => ${formatNested(ctx, item, recurseTimes)}`;
  });
}

function iterableEntries<T>(ctx: Context, items: Iterable<T>, size: number, formatItem: (item: T) => string): string[] {
  const output: string[] = [];
  for (const item of items) {
    if (output.length === ctx.maxArrayLength) {
      output.push(moreItems(size - ctx.maxArrayLength));
      break;
    }
    output.push(formatItem(item));
  }
  return output;
}

function arrayBufferEntries(ctx: Context, buffer: ArrayBuffer): string[] {
  const bytes = new Uint8Array(buffer, 0, Math.min(buffer.byteLength, ctx.maxArrayLength));
  let contents = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(" ");
  const remaining = buffer.byteLength - bytes.length;
  if (remaining > 0) contents += ` ... ${plural(remaining, "more byte")}`;
  return [`[Uint8Contents]: <${contents}>`, `byteLength: ${buffer.byteLength}`];
}

function dataViewEntries(ctx: Context, view: DataView, recurseTimes: number): string[] {
  return [
    `byteLength: ${view.byteLength}`,
    `byteOffset: ${view.byteOffset}`,
    `buffer: ${formatNested(ctx, view.buffer, recurseTimes)}`,
  ];
}

let isClass = (fn: Function): boolean => /^class\b/.test(Function.prototype.toString.call(fn));

/** For engines whose functions keep no source text to tell a class by. */
export function setClassDetector(detect: (fn: Function) => boolean): void {
  isClass = detect;
}

function functionBase(fn: Function): string {
  const name = typeof fn.name === "string" ? fn.name : "";
  if (isClass(fn)) {
    const parent: unknown = Object.getPrototypeOf(fn);
    const heritage = typeof parent === "function" && parent.name !== "" ? ` extends ${parent.name}` : "";
    return `[class ${name || "(anonymous)"}${heritage}]`;
  }
  const kind = Object.prototype.toString.call(fn).slice(8, -1);
  return `[${kind}${name === "" ? " (anonymous)" : `: ${name}`}]`;
}

function errorBase(ctx: Context, error: Error): string {
  let stack = errorStack(error);
  if (ctx.mapStack !== undefined) stack = ctx.mapStack(stack);
  if (!stack.includes("\n    at")) stack = `[${stack}]`;
  if (ctx.indentation !== 0) stack = stack.replace(/\n/g, `\n${" ".repeat(ctx.indentation)}`);
  return stack;
}

function reduceToSingleString(
  ctx: Context,
  output: string[],
  base: string,
  braces: string[],
  array: ArrayLike<unknown> | undefined,
  recurseTimes: number,
): string {
  const entries = output.length;
  if (array !== undefined && entries > 6) output = groupArrayElements(ctx, output, array);
  const prefix = base === "" ? "" : `${base} `;
  if (ctx.currentDepth - recurseTimes < COMPACT && entries === output.length) {
    const start = output.length + ctx.indentation + braces[0].length + base.length + 10;
    if (isBelowBreakLength(ctx, output, start, base)) {
      const joined = output.join(", ");
      if (!joined.includes("\n")) return `${prefix}${braces[0]} ${joined} ${braces[1]}`;
    }
  }
  const indentation = `\n${" ".repeat(ctx.indentation)}`;
  return `${prefix}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
}

function isBelowBreakLength(ctx: Context, output: string[], start: number, base: string): boolean {
  let total = output.length + start;
  if (total + output.length > ctx.breakLength) return false;
  for (const entry of output) {
    total += entry.length;
    if (total > ctx.breakLength) return false;
  }
  return !base.includes("\n");
}

/** Lays out many short array items in aligned columns, roughly square, as Node does. */
function groupArrayElements(ctx: Context, output: string[], array: ArrayLike<unknown>): string[] {
  const separatorSpace = 2;
  const count = ctx.maxArrayLength < output.length ? output.length - 1 : output.length;
  let totalLength = 0;
  let maxLength = 0;
  for (let i = 0; i < count; i++) {
    totalLength += output[i].length + separatorSpace;
    maxLength = Math.max(maxLength, output[i].length);
  }
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentation >= ctx.breakLength || (totalLength / actualMax <= 5 && maxLength > 6)) {
    return output;
  }
  const averageBias = Math.sqrt(actualMax - totalLength / output.length);
  const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
  const columns = Math.min(
    Math.round(Math.sqrt(2.5 * biasedMax * count) / biasedMax),
    Math.floor((ctx.breakLength - ctx.indentation) / actualMax),
    COMPACT * 4,
    15,
  );
  if (columns <= 1) return output;

  const columnWidths: number[] = [];
  for (let column = 0; column < columns; column++) {
    let width = 0;
    for (let i = column; i < count; i += columns) width = Math.max(width, output[i].length);
    columnWidths.push(width + separatorSpace);
  }
  let numeric = true;
  for (let i = 0; i < count && numeric; i++) numeric = typeof array[i] === "number" || typeof array[i] === "bigint";

  const rows: string[] = [];
  for (let rowStart = 0; rowStart < count; rowStart += columns) {
    const rowEnd = Math.min(rowStart + columns, count);
    let row = "";
    for (let i = rowStart; i < rowEnd - 1; i++) {
      const cell = `${output[i]}, `;
      row += numeric ? cell.padStart(columnWidths[i - rowStart]) : cell.padEnd(columnWidths[i - rowStart]);
    }
    const last = output[rowEnd - 1];
    row += numeric ? last.padStart(columnWidths[rowEnd - 1 - rowStart] - separatorSpace) : last;
    rows.push(row);
  }
  if (count < output.length) rows.push(output[count]);
  return rows;
}
