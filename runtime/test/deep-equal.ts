/** Structural equality: same prototype, same own enumerable contents; NaN equals NaN, -0 differs from 0. */
export function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof Map) return isMapEqual(a, b as Map<unknown, unknown>);
  if (a instanceof Set) return a.size === (b as Set<unknown>).size && [...a].every((item) => (b as Set<unknown>).has(item));
  if (ArrayBuffer.isView(a) && !(a instanceof DataView)) {
    return isDeepEqual(Array.from(a as Uint8Array), Array.from(b as Uint8Array));
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length || (Array.isArray(a) && a.length !== (b as unknown[]).length)) return false;
  return keysA.every(
    (key) =>
      Object.prototype.hasOwnProperty.call(b, key) &&
      isDeepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

function isMapEqual(a: Map<unknown, unknown>, b: Map<unknown, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    if (!b.has(key) || !isDeepEqual(value, b.get(key))) return false;
  }
  return true;
}
