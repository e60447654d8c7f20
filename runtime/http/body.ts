/** Bodies as Request and Response hold them, and the ways to read them whole. */
export type BodyInit = string | Uint8Array | AsyncIterable<Uint8Array>;

const encoder = new TextEncoder();

export function toStream(body: BodyInit): AsyncIterable<Uint8Array> {
  if (typeof body === "string") return once(encoder.encode(body));
  if (body instanceof Uint8Array) return once(body);
  return body;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** Reads a body once; a second read throws, as with the web-standard body mixin. */
export class BodyHolder {
  private used = false;

  constructor(private readonly source: BodyInit | null) {}

  get bodyUsed(): boolean {
    return this.used;
  }

  /** The body as chunks; iterating it consumes the body like the other readers. */
  get stream(): AsyncIterable<Uint8Array> | null {
    const source = this.source;
    if (source === null) return null;
    return {
      [Symbol.asyncIterator]: () => {
        this.consume();
        return toStream(source)[Symbol.asyncIterator]();
      },
    };
  }

  async bytes(): Promise<Uint8Array> {
    this.consume();
    if (this.source === null) return new Uint8Array(0);
    if (this.source instanceof Uint8Array) return this.source;
    if (typeof this.source === "string") return encoder.encode(this.source);
    const chunks: Uint8Array[] = [];
    let length = 0;
    for await (const chunk of this.source) {
      chunks.push(chunk);
      length += chunk.length;
    }
    return concatenate(chunks, length);
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  private consume(): void {
    if (this.used) throw new TypeError("body already used");
    this.used = true;
  }
}

export function concatenate(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
