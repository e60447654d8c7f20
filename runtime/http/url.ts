/** Minimal WHATWG URL and URLSearchParams for http URLs. */

const HTTP_URL = /^(https?):\/\/([^/?#:@\s]*)(?::(\d*))?(\/[^?#\s]*)?(\?[^#\s]*)?(#\S*)?$/i;
const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };
const MAX_PORT = 65535;

export class URLSearchParams implements Iterable<[string, string]> {
  private readonly list: [string, string][] = [];

  constructor(query = "") {
    const text = query.startsWith("?") ? query.slice(1) : query;
    for (const part of text.split("&")) {
      if (part === "") continue;
      const equals = part.indexOf("=");
      const name = equals < 0 ? part : part.slice(0, equals);
      const value = equals < 0 ? "" : part.slice(equals + 1);
      this.list.push([formDecode(name), formDecode(value)]);
    }
  }

  get(name: string): string | null {
    return this.list.find(([key]) => key === name)?.[1] ?? null;
  }

  getAll(name: string): string[] {
    return this.list.filter(([key]) => key === name).map(([, value]) => value);
  }

  has(name: string): boolean {
    return this.list.some(([key]) => key === name);
  }

  append(name: string, value: string): void {
    this.list.push([name, value]);
  }

  /** Replaces the first pair named `name` and removes the others, or appends one. */
  set(name: string, value: string): void {
    const index = this.list.findIndex(([key]) => key === name);
    if (index < 0) return this.append(name, value);
    this.list[index] = [name, value];
    for (let i = this.list.length - 1; i > index; i--) if (this.list[i][0] === name) this.list.splice(i, 1);
  }

  delete(name: string): void {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i][0] === name) this.list.splice(i, 1);
  }

  get size(): number {
    return this.list.length;
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.list) callback(value, name);
  }

  entries(): IterableIterator<[string, string]> {
    return this.list[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  toString(): string {
    return this.list.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join("&");
  }
}

export class URL {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  readonly searchParams: URLSearchParams;

  constructor(input: string, base?: string) {
    const absolute = base !== undefined && input.startsWith("/") ? `${new URL(base).origin}${input}` : input;
    const match = HTTP_URL.exec(absolute);
    if (match === null || match[2] === "") throw new TypeError(`invalid URL: ${input}`);
    this.protocol = `${match[1].toLowerCase()}:`;
    this.hostname = match[2].toLowerCase();
    // Leading zeros are dropped, as the WHATWG parser does.
    const port = match[3] === undefined || match[3] === "" ? "" : String(Number(match[3]));
    if (Number(port) > MAX_PORT) throw new TypeError(`invalid URL port: ${input}`);
    this.port = port === DEFAULT_PORTS[this.protocol] ? "" : port;
    this.pathname = match[4] ?? "/";
    this.search = match[5] === undefined || match[5] === "?" ? "" : match[5];
    this.hash = match[6] === undefined || match[6] === "#" ? "" : match[6];
    this.searchParams = new URLSearchParams(this.search);
  }

  get host(): string {
    return this.port === "" ? this.hostname : `${this.hostname}:${this.port}`;
  }

  get origin(): string {
    return `${this.protocol}//${this.host}`;
  }

  get href(): string {
    return `${this.origin}${this.pathname}${this.search}${this.hash}`;
  }

  toString(): string {
    return this.href;
  }
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

function formEncode(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, "+");
}
