/**
 * structuredClone for the values apps pass around: primitives, plain objects and arrays, Date,
 * RegExp, Map, Set, ArrayBuffer, typed arrays, DataView and Error, with shared and cyclic
 * references kept. Functions and symbols cannot be cloned ("DataCloneError"); other objects
 * become plain objects of their own enumerable properties, as the web platform's do.
 */

function dataCloneError(message: string): Error {
  const error = new Error(message);
  error.name = "DataCloneError";
  return error;
}

type TypedArrayConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

export function structuredClone<T>(value: T): T {
  return cloneValue(value, new Map()) as T;
}

function cloneValue(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === "function") throw dataCloneError(`${String(value).slice(0, 40)} could not be cloned`);
  if (typeof value === "symbol") throw dataCloneError(`${String(value)} could not be cloned`);
  if (typeof value !== "object" || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (value instanceof Date) return remember(seen, value, new Date(value.getTime()));
  if (value instanceof RegExp) return remember(seen, value, new RegExp(value.source, value.flags));
  if (value instanceof ArrayBuffer) return remember(seen, value, value.slice(0));
  if (ArrayBuffer.isView(value)) return cloneView(value, seen);
  if (value instanceof Map) {
    const copy = remember(seen, value, new Map());
    for (const [key, item] of value) copy.set(cloneValue(key, seen), cloneValue(item, seen));
    return copy;
  }
  if (value instanceof Set) {
    const copy = remember(seen, value, new Set());
    for (const item of value) copy.add(cloneValue(item, seen));
    return copy;
  }
  if (value instanceof Error) {
    const copy = remember(seen, value, new Error(value.message));
    copy.name = value.name;
    if (value.stack !== undefined) copy.stack = value.stack;
    return copy;
  }
  const copy = remember(seen, value, Array.isArray(value) ? new Array(value.length) : {}) as Record<string, unknown>;
  for (const key of Object.keys(value)) copy[key] = cloneValue((value as Record<string, unknown>)[key], seen);
  return copy;
}

function cloneView(view: ArrayBufferView, seen: Map<object, unknown>): unknown {
  const buffer = cloneValue(view.buffer, seen) as ArrayBuffer;
  if (view instanceof DataView) return remember(seen, view, new DataView(buffer, view.byteOffset, view.byteLength));
  const typed = view as ArrayBufferView & { readonly length: number };
  const type = typed.constructor as TypedArrayConstructor;
  return remember(seen, view, new type(buffer, typed.byteOffset, typed.length));
}

function remember<T>(seen: Map<object, unknown>, original: object, copy: T): T {
  seen.set(original, copy);
  return copy;
}
