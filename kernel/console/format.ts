/** printf-style formatting as in Node's util.format: %s %d %i %f %j %o %O %c %%. */
import { formatNumber, formatValue, type InspectOptions } from "./inspect";

export function format(...args: unknown[]): string {
  return formatWithOptions({}, ...args);
}

export function formatWithOptions(options: InspectOptions, ...args: unknown[]): string {
  const first = args[0];
  if (typeof first !== "string") return joinRest(options, args, 0, "");
  let text = "";
  let last = 0;
  let next = 1;
  for (let i = 0; i < first.length - 1; i++) {
    if (first[i] !== "%") continue;
    const directive = first[i + 1];
    let replacement: string | undefined;
    if (directive === "%") replacement = "%";
    else if (next < args.length) replacement = formatDirective(directive, args[next], options);
    if (replacement === undefined) continue;
    if (directive !== "%") next++;
    text += first.slice(last, i) + replacement;
    last = i + 2;
    i++;
  }
  if (args.length === 1) return first;
  return joinRest(options, args, next, text + first.slice(last));
}

function joinRest(options: InspectOptions, args: unknown[], from: number, text: string): string {
  for (let i = from; i < args.length; i++) {
    const arg = args[i];
    if (text !== "" || i > from) text += " ";
    text += typeof arg === "string" ? arg : formatValue(arg, options);
  }
  return text;
}

function formatDirective(directive: string, arg: unknown, options: InspectOptions): string | undefined {
  switch (directive) {
    case "s":
      if (typeof arg === "number") return formatNumber(arg);
      if (typeof arg === "bigint") return `${arg}n`;
      if (typeof arg !== "object" || arg === null || !hasBuiltInToString(arg)) return String(arg);
      return formatValue(arg, { ...options, depth: 0 });
    case "d":
      return formatNumeric(arg, Number);
    case "i":
      return formatNumeric(arg, (value) => parseInt(value as string));
    case "f":
      return typeof arg === "symbol" ? "NaN" : formatNumber(parseFloat(arg as string));
    case "j":
      return stringifyJson(arg);
    case "o":
      return formatValue(arg, { ...options, depth: 4 });
    case "O":
      return formatValue(arg, options);
    case "c":
      return "";
    default:
      return undefined;
  }
}

function formatNumeric(arg: unknown, toNumber: (value: unknown) => number): string {
  if (typeof arg === "bigint") return `${arg}n`;
  return typeof arg === "symbol" ? "NaN" : formatNumber(toNumber(arg));
}

function stringifyJson(arg: unknown): string {
  try {
    return String(JSON.stringify(arg));
  } catch (error) {
    if (error instanceof TypeError && /circular/i.test(error.message)) return "[Circular]";
    throw error;
  }
}

/** True when the `toString` an object would use comes from a built-in class, so inspecting it says more. */
function hasBuiltInToString(value: object): boolean {
  const toString: unknown = (value as { toString?: unknown }).toString;
  if (typeof toString !== "function") return true;
  if (Object.prototype.hasOwnProperty.call(value, "toString")) return false;
  let owner: object | null = value;
  while (owner !== null && !Object.prototype.hasOwnProperty.call(owner, "toString")) owner = Object.getPrototypeOf(owner);
  const constructor: unknown = owner === null ? undefined : Object.getOwnPropertyDescriptor(owner, "constructor")?.value;
  return typeof constructor === "function" && (globalThis as Record<string, unknown>)[constructor.name] === constructor;
}
