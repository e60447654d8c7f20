/** A subset of the WHATWG Headers class: case-insensitive names, values joined with ", ". */
export type HeadersInit = Headers | Record<string, string> | [string, string][];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values may not contain CR, LF or NUL (RFC 9110 5.5). */
const FORBIDDEN_VALUE = /[\r\n\0]/;

export class Headers implements Iterable<[string, string]> {
  private readonly fields = new Map<string, string>();

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    const entries = init instanceof Headers ? init.entries() : Array.isArray(init) ? init : Object.entries(init);
    for (const [name, value] of entries) this.append(name, value);
  }

  append(name: string, value: string): void {
    const key = checkName(name);
    const clean = checkValue(value);
    const existing = this.fields.get(key);
    this.fields.set(key, existing === undefined ? clean : `${existing}, ${clean}`);
  }

  set(name: string, value: string): void {
    this.fields.set(checkName(name), checkValue(value));
  }

  get(name: string): string | null {
    return this.fields.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.fields.has(name.toLowerCase());
  }

  delete(name: string): void {
    this.fields.delete(name.toLowerCase());
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void): void {
    for (const [name, value] of this.entries()) callback(value, name, this);
  }

  /** Lower-case names in sorted order, as the standard specifies. */
  *entries(): IterableIterator<[string, string]> {
    for (const name of [...this.fields.keys()].sort()) yield [name, this.fields.get(name) as string];
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

function checkName(name: string): string {
  if (!isToken(name)) throw new TypeError(`invalid header name: ${name}`);
  return name.toLowerCase();
}

function checkValue(value: string): string {
  const trimmed = String(value).trim();
  if (FORBIDDEN_VALUE.test(trimmed)) throw new TypeError("invalid header value");
  return trimmed;
}
