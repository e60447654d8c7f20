import { BodyHolder, type BodyInit } from "./body";
import { Headers, type HeadersInit } from "./headers";

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
}

/** The web-standard Request shape, with the body as an async iterable of chunks. */
export class Request {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  private readonly content: BodyHolder;

  constructor(url: string, init: RequestInit = {}) {
    this.url = url;
    this.method = (init.method ?? "GET").toUpperCase();
    this.headers = new Headers(init.headers);
    this.content = new BodyHolder(init.body ?? null);
  }

  get body(): AsyncIterable<Uint8Array> | null {
    return this.content.stream;
  }

  get bodyUsed(): boolean {
    return this.content.bodyUsed;
  }

  text(): Promise<string> {
    return this.content.text();
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.content.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.content.text());
  }
}
